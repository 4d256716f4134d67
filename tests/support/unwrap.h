// A test's view of a Result (proto/result.h): the value, or an empty one with the reason recorded
// as the test's failure; and the reason a call failed, for tests that check the words.
#pragma once

#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "proto/result.h"

namespace rackboot::test {

template <class T>
[[nodiscard]] T unwrap(proto::Result<T>&& r) {
    if (r) return std::move(*r);
    ADD_FAILURE() << r.error().reason;
    return T{};
}

template <class T>
[[nodiscard]] std::string reason(const proto::Result<T>& r) {
    return r ? std::string() : r.error().reason;
}

}  // namespace rackboot::test
