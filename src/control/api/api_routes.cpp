#include "control/api/api_routes.h"

#include <array>

namespace rackboot::control {

namespace {

constexpr std::array<std::string_view, 6> kMethodNames = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};

// Splits at '/', dropping the empty leading segment.
bool next_segment(std::string_view& rest, std::string_view& seg) {
    if (rest.empty()) return false;
    if (rest.front() == '/') rest.remove_prefix(1);
    std::size_t slash = rest.find('/');
    seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    return true;
}

// Whether `path` fits `pattern`; its {param} segment's text into `param`.
bool fits(std::string_view pattern, std::string_view path, std::string& param) {
    std::string_view ps;
    std::string_view qs;
    for (;;) {
        bool more_p = next_segment(pattern, ps);
        bool more_q = next_segment(path, qs);
        if (!more_p || !more_q) return more_p == more_q;
        if (ps.size() > 2 && ps.front() == '{' && ps.back() == '}') {
            if (qs.empty()) return false;
            param = std::string(qs);
        } else if (ps != qs) {
            return false;
        }
    }
}

}  // namespace

std::optional<Method> parse_method(std::string_view text) noexcept {
    for (std::size_t i = 0; i < kMethodNames.size(); ++i) {
        if (kMethodNames[i] == text) return static_cast<Method>(i);
    }
    return std::nullopt;
}

std::string_view method_name(Method m) noexcept {
    return kMethodNames[static_cast<std::size_t>(m)];
}

const RouteRow* RouteMatch::find(Method m) const noexcept {
    for (const RouteRow& r : rows) {
        if (r.method == m) return &r;
    }
    return nullptr;
}

const RouteRow* RouteMatch::find(std::string_view method) const noexcept {
    std::optional<Method> m = parse_method(method);
    return m ? find(*m) : nullptr;
}

std::string RouteMatch::allow() const {
    std::string out;
    for (const RouteRow& r : rows) {
        if (!out.empty()) out += ", ";
        out += method_name(r.method);
    }
    return out;
}

RouteMatch match_route(std::span<const RouteRow> table, std::string_view path) {
    if (path.size() > 1 && path.back() == '/') return {};
    for (std::size_t i = 0; i < table.size(); ++i) {
        std::string param;
        if (!fits(table[i].pattern, path, param)) continue;
        std::size_t n = 1;
        while (i + n < table.size() && table[i + n].pattern == table[i].pattern) ++n;
        return {table.subspan(i, n), std::move(param)};
    }
    return {};
}

}  // namespace rackboot::control
