#include "dataplane/counters.h"

namespace rackboot::dataplane {

std::string_view to_string(DropReason r) noexcept {
    switch (r) {
#define X(name, text)                                                                              \
    case DropReason::name: return #name;
        RACKBOOT_DROP_REASONS(X)
#undef X
    case DropReason::count_: break;
    }
    return "unknown";
}

std::string_view to_string(Quirk q) noexcept {
    switch (q) {
#define X(name)                                                                                    \
    case Quirk::name: return #name;
        RACKBOOT_TFTP_QUIRKS(X)
#undef X
    case Quirk::count_: break;
    }
    return "unknown";
}

std::string_view to_string(ResultLabel r) noexcept {
    switch (r) {
#define X(name)                                                                                    \
    case ResultLabel::name: return #name;
        RACKBOOT_TFTP_RESULTS(X)
#undef X
    case ResultLabel::count_: break;
    }
    return "unknown";
}

std::string_view to_string(DhcpQuirk q) noexcept {
    switch (q) {
#define X(name)                                                                                    \
    case DhcpQuirk::name: return #name;
        RACKBOOT_DHCP_QUIRKS(X)
#undef X
    case DhcpQuirk::count_: break;
    }
    return "unknown";
}

}  // namespace rackboot::dataplane
