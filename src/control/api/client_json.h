// JSON from a client (request bodies): parsed with a bound on nesting, and quoted back in error
// messages only as a short excerpt. nlohmann-json parses iteratively but serializes recursively,
// so a value nested 50,000 deep parses fine and overflows the stack when dumped; a body nested
// deeper than kMaxClientJsonDepth is refused at parse time, and no client value is ever dumped
// whole into a message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rackboot::control {

// Objects and arrays inside one another: a board or an import needs three.
inline constexpr int kMaxClientJsonDepth = 16;
// The most of a client's value an error message quotes.
inline constexpr std::size_t kMaxQuotedChars = 64;

// Where a refusal lies: why, and the top-level key under which the body went too deep, if any.
struct ClientJsonError {
    std::string message;  // empty: parsed
    std::string field;
};

// Parses `text`; refuses invalid JSON and nesting deeper than `max_depth` (the value is then
// discarded, and `error` says why).
[[nodiscard]] nlohmann::json parse_client_json(std::string_view text, ClientJsonError& error,
                                               int max_depth = kMaxClientJsonDepth);

// A client's value for a message: a string quoted and cut at kMaxQuotedChars; a number or a
// literal as written; an object or array only as its kind and size.
[[nodiscard]] std::string quote_client_value(const nlohmann::json& v);

}  // namespace rackboot::control
