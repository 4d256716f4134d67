// One X-macro list per set of reasons (why a packet was dropped, how a parse failed, what a quirk
// is), and one macro that turns it into everything the code needs: the enum (with count_), its
// names (metric labels, log fields), a one-line description (the metric's HELP, the API's list of
// drop reasons) and a severity for operators. VPP's *.def error lists, without hand-written
// switches to keep in step.
//   #define MY_LIST(X) X(name, severity, "one-line description") ...
//   RACKBOOT_DEFINE_REASONS(MyEnum, MY_LIST)
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

namespace rackboot::proto {

// How an operator should read a count: info (expected, counted to be seen), warning (a client or
// the network misbehaves), error (the appliance failed a client: capacity, disk, a full queue).
enum class Severity : std::uint8_t { info, warning, error };

[[nodiscard]] constexpr std::string_view to_string(Severity s) noexcept {
    return s == Severity::info ? "info" : s == Severity::warning ? "warning" : "error";
}

struct ReasonInfo {
    std::string_view name;
    std::string_view description;
    Severity severity;
};

}  // namespace rackboot::proto

#define RACKBOOT_REASON_ENUM_(name, severity, text) name,
#define RACKBOOT_REASON_INFO_(name, severity, text) \
    ::rackboot::proto::ReasonInfo{#name, text, ::rackboot::proto::Severity::severity},

#define RACKBOOT_DEFINE_REASONS(Enum, LIST)                                                                 \
    enum class Enum : std::uint8_t { LIST(RACKBOOT_REASON_ENUM_) count_ };                                  \
    inline constexpr ::rackboot::proto::ReasonInfo k##Enum##Reasons[] = {LIST(RACKBOOT_REASON_INFO_)};      \
    [[nodiscard]] constexpr const ::rackboot::proto::ReasonInfo& reason_info(Enum e) noexcept {             \
        return k##Enum##Reasons[static_cast<std::size_t>(e) < std::size(k##Enum##Reasons)                   \
                                    ? static_cast<std::size_t>(e)                                           \
                                    : 0];                                                                   \
    }                                                                                                       \
    [[nodiscard]] constexpr std::string_view to_string(Enum e) noexcept {                                   \
        return static_cast<std::size_t>(e) < std::size(k##Enum##Reasons) ? reason_info(e).name : "unknown"; \
    }                                                                                                       \
    [[nodiscard]] constexpr std::size_t reason_count(Enum) noexcept {                                       \
        return std::size(k##Enum##Reasons);                                                                 \
    }
