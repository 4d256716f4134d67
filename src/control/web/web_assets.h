// The web view's assets, built into the binary (CMakeLists.txt makes web_files.cpp from
// index.html, app.js and app.css): what the API serves at / and /ui/NAME, with its type and an
// ETag made from its bytes.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace rackboot::control {

struct WebFile {
    std::string_view name;  // index.html, app.js, app.css
    std::string_view body;
};
[[nodiscard]] std::span<const WebFile> web_files();

struct WebAsset {
    std::string_view body;
    std::string_view content_type;
    std::string_view etag;  // "…" (quoted), the same for the same bytes
};

// "/" is index.html; "/ui/NAME" is NAME. Nothing else is.
[[nodiscard]] std::optional<WebAsset> web_asset(std::string_view path);

}  // namespace rackboot::control
