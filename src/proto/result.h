// The result type of fallible calls (STYLE.md "Failure is in the return type"): a value, or the
// reason there is none, never a bool beside an error string set on failure. tl::expected (Debian's
// libexpected-dev) is C++23's std::expected for g++ 12: the same interface, so moving to
// <expected> is this file alone.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace rackboot::proto {

struct Failure {
    std::string reason;  // a sentence for the operator, without the program's name
    int exit_code = 1;   // where it ends a process: 1 could not start, 2 a usage error
};

template <class T = void>
using Result = tl::expected<T, Failure>;

[[nodiscard]] inline tl::unexpected<Failure> failure(std::string reason, int exit_code = 1) {
    return tl::unexpected<Failure>(Failure{std::move(reason), exit_code});
}

}  // namespace rackboot::proto
