#include "control/web/web_assets.h"

#include <cstdio>
#include <string>
#include <vector>

#include "proto/tftp_path.h"

namespace rackboot::control {

namespace {

std::string_view type_of(std::string_view name) {
    auto ends = [&](std::string_view s) { return name.size() >= s.size() && name.substr(name.size() - s.size()) == s; };
    if (ends(".html")) return "text/html; charset=utf-8";
    if (ends(".js")) return "text/javascript; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    return "application/octet-stream";
}

struct Tagged {
    WebFile file;
    std::string etag;
};

const std::vector<Tagged>& tagged() {
    static const std::vector<Tagged> all = [] {
        std::vector<Tagged> out;
        for (const WebFile& f : web_files()) {
            char tag[24];
            std::snprintf(tag, sizeof tag, "\"%016llx\"", static_cast<unsigned long long>(proto::fnv1a64(f.body)));
            out.push_back({f, tag});
        }
        return out;
    }();
    return all;
}

}  // namespace

std::optional<WebAsset> web_asset(std::string_view path) {
    std::string_view name;
    if (path == "/") {
        name = "index.html";
    } else if (path.substr(0, 4) == "/ui/") {
        name = path.substr(4);
    } else {
        return std::nullopt;
    }
    for (const Tagged& t : tagged()) {
        if (t.file.name == name) return WebAsset{t.file.body, type_of(name), t.etag};
    }
    return std::nullopt;
}

}  // namespace rackboot::control
