// GET /api/v1/events: the event bus as Server-Sent Events (text/event-stream), filtered by
// ?serial=, ?mac= and ?kind= (dhcp, tftp, boot). A stream with nothing to send parks its
// connection (libmicrohttpd's suspend) and the bus resumes it when an event arrives, so an idle
// subscriber costs no polling; every ApiServer::kHeartbeatS a comment line is written.
#include <microhttpd.h>

#include <chrono>

#include "control/api_server.h"
#include "proto/dhcp_leases.h"
#include "proto/tftp_path.h"

namespace rackboot::control {

struct ApiServer::Stream {
    ApiServer* server = nullptr;
    std::shared_ptr<Subscription> sub;
    MHD_Connection* conn = nullptr;
    std::string pending = ": rackboot events\n\n";
    std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
};

namespace {

ssize_t stream_read(void* cls, std::uint64_t, char* buf, std::size_t max) {
    auto* s = static_cast<ApiServer::Stream*>(cls);
    return s->server->read_stream(*s, buf, max);
}

void stream_free(void* cls) {
    auto* s = static_cast<ApiServer::Stream*>(cls);
    s->server->end_stream(s);
}

HttpResponse bad(const std::string& message, const std::string& field) {
    return error_response(Outcome::fail(ApiError::invalid_field, message, field));
}

}  // namespace

long ApiServer::read_stream(Stream& s, char* buf, std::size_t max) {
    if (closing_.load()) return MHD_CONTENT_READER_END_OF_STREAM;
    auto now = std::chrono::steady_clock::now();
    if (s.pending.empty()) {
        bool heartbeat = now - s.last_write >= std::chrono::seconds(kHeartbeatS);
        MHD_Connection* c = s.conn;
        s.pending = s.sub->take(heartbeat ? std::function<void()>() : [c] { MHD_suspend_connection(c); });
        if (s.pending.empty() && heartbeat) s.pending = ": keep-alive\n\n";
        if (s.pending.empty()) return 0;  // parked until the bus resumes it
    }
    std::size_t n = std::min(max, s.pending.size());
    s.pending.copy(buf, n);
    s.pending.erase(0, n);
    s.last_write = now;
    return static_cast<long>(n);
}

void ApiServer::end_stream(Stream* s) {
    s->sub->set_resume(nullptr);  // the bus must not resume a connection that is going away
    events_->unsubscribe(s->sub);
    streams_.fetch_sub(1);
    delete s;
}

std::optional<HttpResponse> ApiServer::start_stream(MHD_Connection* c, const std::string& method,
                                                    const std::map<std::string, std::string>& query, bool& queued) {
    if (method != "GET") return not_allowed_response("GET");
    EventFilter f;
    for (const auto& [k, v] : query) {
        if (k == "serial") {
            std::uint32_t serial = 0;
            std::string full;
            if (!normalize_serial(v, serial, full)) return bad("serial is 8 hex digits (or a Pi 5's 16)", "serial");
            f.serial = serial;
        } else if (k == "mac") {
            std::array<std::uint8_t, 6> mac{};
            if (!proto::parse_mac(v, mac)) return bad("mac is six hex pairs (aa:bb:cc:dd:ee:ff)", "mac");
            f.mac = proto::mac_key(mac.data());
        } else if (k == "kind") {
            if (v != "dhcp" && v != "tftp" && v != "boot") return bad("kind is dhcp, tftp or boot", "kind");
            f.kind = v;
        } else {
            return error_response(
                Outcome::fail(ApiError::unknown_field, "events are filtered by serial, mac and kind", k));
        }
    }
    std::shared_ptr<Subscription> sub = events_->subscribe(f);
    if (!sub) {
        return error_response(Outcome::fail(
            ApiError::store_unavailable,
            "too many event subscribers (" + std::to_string(EventBus::kMaxSubscribers) + "): try again later"));
    }
    auto* s = new Stream();
    s->server = this;
    s->sub = sub;
    s->conn = c;
    streams_.fetch_add(1);
    sub->set_resume([c] { MHD_resume_connection(c); });
    MHD_Response* resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, &stream_read, s, &stream_free);
    if (resp == nullptr) {
        end_stream(s);
        return std::nullopt;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (const MHD_ConnectionInfo* i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT)) {
        if (auto* conn = static_cast<Conn*>(i->socket_context)) conn->streaming = true;
    }
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    queued = MHD_queue_response(c, MHD_HTTP_OK, resp) == MHD_YES;
    MHD_destroy_response(resp);
    return std::nullopt;
}

}  // namespace rackboot::control
