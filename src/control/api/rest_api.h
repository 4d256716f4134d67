// REST API v1 over the inventory: /api/v1/images and /api/v1/boards (issue 10). Pure request to
// response (no sockets: ApiServer carries them), so every route and error class is tested
// without a server. JSON in and out (nlohmann-json); errors are {"error", "message", "field"?}
// from the one list in store/api_error.h; every resource carries its generation as its ETag, and
// writes honour If-Match (412 when stale).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/api/api_routes.h"
#include "control/store/inventory_store.h"
#include "control/store/inventory_writes.h"
#include "dataplane/worker_mailbox.h"
#include "proto/dhcp_leases.h"
#include "proto/result.h"

namespace rackboot::control {

struct HttpRequest {
    std::string method;
    std::string path;                           // without the query
    std::map<std::string, std::string> query;   // decoded
    std::map<std::string, std::string> header;  // names lowercase; a repeated one keeps its last value
    std::string body;
    std::vector<std::string> repeated;  // header names (lowercase) that came more than once
};

struct HttpResponse {
    unsigned status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;  // ETag, Location, Allow
};

// What /api/v1/status reports (the tests read it instead of scraping the start line).
struct ServiceInfo {
    std::string version;
    std::string backend;  // its description, as on the start line
    std::size_t workers = 0;
    std::string tftp;          // ADDR:PORT
    std::string api;           // ADDR:PORT
    std::string dhcp;          // off, proxy or server (with its port and interface)
    std::int64_t started = 0;  // unix seconds
    std::uint64_t snapshot_generation = 0;
};

// What the live routes read (the daemon fills these in; a null one turns its route off).
struct LiveSources {
    std::function<std::optional<nlohmann::json>(proto::Serial serial)> timeline;
    std::function<proto::Result<std::vector<proto::Lease>>()> leases;  // durable records
    std::function<proto::LeaseRelease(proto::Ipv4 ip)> release;
    // Every worker's live transfers; nullopt when one did not answer in time.
    std::function<std::optional<dataplane::TransferList>()> transfers;
    // Whether the image is served now: {"available", "reason", "resolves_to"}; nullopt: not known.
    std::function<std::optional<nlohmann::json>(const std::string& name)> image_status;
    // An img image indexed before it is stored: why it cannot be served; nullopt: it can.
    std::function<std::optional<std::string>(const Image& image)> prepare_image;
    // Boards' own roots (control/roots/board_roots.h): make or record one, or remove one. Null
    // without --roots: the routes say so.
    std::function<Outcome(proto::Serial serial, const RootRequest& req, Board& out, const Actor& who)> make_root;
    std::function<Outcome(proto::Serial serial, BoardRoot& out, const Actor& who)> remove_root;
};

class RestApi {
public:
    // `store` may be null (no --state): the routes then answer 503 with a reason. Writes need
    // "Authorization: Bearer TOKEN" (401 otherwise); an empty token refuses every write.
    RestApi(InventoryStore* store, std::string images_root, std::string token = {});

    // Every route of the endpoint, one row per method (api_routes.h): ApiServer's own among them.
    [[nodiscard]] static std::span<const RouteRow> routes();
    [[nodiscard]] HttpResponse handle(const HttpRequest& req);
    // Every change goes through one write path (inventory_writes.h): this API's own over `store`,
    // or the one the daemon shares with the learner and the bootstrap.
    void set_writes(InventoryWrites* writes) noexcept { writes_ = writes; }
    // Told of every change (the live boot map); null: nobody. (Sets the write path's.)
    void set_observer(InventoryObserver* observer) noexcept {
        if (writes_ != nullptr) writes_->set_live(observer);
    }
    void set_live(LiveSources live) { live_ = std::move(live); }
    // Where audit lines go (default: stdout, the event log). (Sets the write path's.)
    void set_audit_sink(std::function<void(const std::string&)> sink) {
        if (writes_ != nullptr) writes_->set_audit_sink(std::move(sink));
    }
    // Where /api/v1/status reads the boot map's generation from.
    void set_generation_source(std::function<std::uint64_t()> source) { generation_ = std::move(source); }
    // Set once serving (before that /readyz answers 503).
    void set_ready(ServiceInfo info);
    // DHCP server mode: a board's `ip` must be an address these leases can give out (a write
    // naming another is refused 400 with the reason); unset (proxy mode): any address is kept.
    void set_served_leases(const proto::LeaseConfig& leases) { served_ = leases; }
    // Why `ip` can never be offered to a board here, or empty (also when no leases are served).
    [[nodiscard]] std::string never_offered(proto::Ipv4 ip) const;

    static constexpr std::size_t kMaxApiBody = 1u << 20;  // a body to an API route (Content-Length or chunked)
    static constexpr std::size_t kMaxPage = 1000;

private:
    // The handlers, one per route row (rest_routes.cpp lists them); `param` is the path's {param}.
    HttpResponse healthz(const HttpRequest& req, const std::string& param);
    HttpResponse readyz(const HttpRequest& req, const std::string& param);
    HttpResponse status(const HttpRequest& req, const std::string& param);
    HttpResponse drop_reasons(const HttpRequest& req, const std::string& param);
    HttpResponse openapi(const HttpRequest& req, const std::string& param);
    HttpResponse list_images(const HttpRequest& req, const std::string& param);
    HttpResponse create_image(const HttpRequest& req, const std::string& param);
    HttpResponse get_image(const HttpRequest& req, const std::string& name);
    HttpResponse patch_image(const HttpRequest& req, const std::string& name);
    HttpResponse delete_image(const HttpRequest& req, const std::string& name);
    HttpResponse list_boards(const HttpRequest& req, const std::string& param);
    HttpResponse create_board(const HttpRequest& req, const std::string& param);
    HttpResponse get_board(const HttpRequest& req, const std::string& serial);
    HttpResponse replace_board(const HttpRequest& req, const std::string& serial);  // PUT
    HttpResponse patch_board(const HttpRequest& req, const std::string& serial);    // PATCH (merge patch)
    HttpResponse delete_board(const HttpRequest& req, const std::string& serial);
    HttpResponse write_board(const HttpRequest& req, const std::string& serial, bool replace);
    // rest_live.cpp
    HttpResponse get_timeline(const HttpRequest& req, const std::string& serial);
    HttpResponse list_leases(const HttpRequest& req, const std::string& param);
    HttpResponse get_lease(const HttpRequest& req, const std::string& ip);
    HttpResponse release_lease(const HttpRequest& req, const std::string& ip);  // DELETE
    HttpResponse list_transfers(const HttpRequest& req, const std::string& param);
    [[nodiscard]] std::optional<HttpResponse> leases_off() const;  // 503 where leases are off
    // rest_roots.cpp
    HttpResponse create_root(const HttpRequest& req, const std::string& serial);  // POST
    HttpResponse delete_root(const HttpRequest& req, const std::string& serial);
    // rest_import.cpp
    HttpResponse import_boards(const HttpRequest& req, const std::string& param);
    HttpResponse update_boards(const HttpRequest& req, const std::string& param);  // rest_bulk.cpp
    HttpResponse web(const HttpRequest& req, const std::string& param);            // rest_web.cpp
    // nobodd's `image = X.img`: the disk image at `path` (resolved, a regular file) added as an img
    // image named after its file, indexed first; its name, or why not.
    [[nodiscard]] proto::Result<std::string> add_imported_image(const std::string& path,
                                                                std::optional<unsigned> partition, const Actor& who);

    [[nodiscard]] bool authorized(const HttpRequest& req) const;
    // Who a write is audited as: the token's id and the request's method (`action` instead).
    [[nodiscard]] Actor actor(const HttpRequest& req, const char* action = nullptr) const {
        return Actor{Actor::Kind::token, token_id_, action != nullptr ? action : req.method};
    }

    InventoryStore* store_;
    std::string images_root_;
    std::string token_;
    std::string token_id_;                         // a hash of the token: names it in the audit log, never reveals it
    std::unique_ptr<InventoryWrites> own_writes_;  // over store_, unless set_writes() gave another
    InventoryWrites* writes_ = nullptr;
    std::function<std::uint64_t()> generation_;
    LiveSources live_;
    mutable std::mutex info_mutex_;  // set by the control thread, read by the API's
    std::optional<ServiceInfo> info_;
    std::optional<proto::LeaseConfig> served_;
};

// An error response from an outcome (status, code, message, field).
[[nodiscard]] HttpResponse error_response(const Outcome& o);
// 405 with Allow.
[[nodiscard]] HttpResponse not_allowed_response(const std::string& allow);

}  // namespace rackboot::control
