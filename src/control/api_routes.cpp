#include "control/api_routes.h"

namespace rackboot::control {

namespace {

// Splits at '/', dropping the empty leading segment.
bool next_segment(std::string_view& rest, std::string_view& seg) {
    if (rest.empty()) return false;
    if (rest.front() == '/') rest.remove_prefix(1);
    std::size_t slash = rest.find('/');
    seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    return true;
}

}  // namespace

RouteMatch match_route(std::string_view path) {
    if (path.size() > 1 && path.back() == '/') return {};
    for (const RouteInfo& r : kRoutes) {
        std::string_view p = r.pattern;
        std::string_view q = path;
        std::string_view ps;
        std::string_view qs;
        std::string param;
        bool ok = true;
        for (;;) {
            bool more_p = next_segment(p, ps);
            bool more_q = next_segment(q, qs);
            if (!more_p || !more_q) {
                ok = more_p == more_q;
                break;
            }
            if (ps.size() > 2 && ps.front() == '{' && ps.back() == '}') {
                if (qs.empty()) {
                    ok = false;
                    break;
                }
                param = std::string(qs);
            } else if (ps != qs) {
                ok = false;
                break;
            }
        }
        if (ok) return {&r, std::move(param)};
    }
    return {};
}

bool route_allows(const RouteInfo& r, std::string_view method) {
    std::string_view m = r.methods;
    while (!m.empty()) {
        std::size_t comma = m.find(',');
        std::string_view one = m.substr(0, comma);
        if (one == method) return true;
        m = comma == std::string_view::npos ? std::string_view() : m.substr(comma + 2);
    }
    return false;
}

}  // namespace rackboot::control
