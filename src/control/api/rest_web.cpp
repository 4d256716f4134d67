// GET /, /ui/app.js and /ui/app.css: the web view (control/web), as built into the binary. Revalidated by
// ETag (304 when unchanged); a policy that lets the page load nothing but its own files and talk
// to nothing but this server, and no framing.
#include "control/api/rest_api.h"
#include "control/api/rest_reply.h"
#include "control/web/web_assets.h"

namespace rackboot::control {

HttpResponse RestApi::web(const HttpRequest& req, const std::string&) {
    std::optional<WebAsset> a = web_asset(req.path);
    if (!a) return fail(ApiError::not_found, "no such file of the web view");
    HttpResponse r;
    r.headers.emplace_back("ETag", std::string(a->etag));
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (auto it = req.header.find("if-none-match"); it != req.header.end() && it->second == a->etag) {
        r.status = 304;
        r.content_type.clear();
        return r;
    }
    r.content_type = std::string(a->content_type);
    r.body = std::string(a->body);
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                           "base-uri 'none'; form-action 'none'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
}

}  // namespace rackboot::control
