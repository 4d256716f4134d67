// GET /api/v1/events: the event bus as Server-Sent Events (text/event-stream), filtered by
// ?serial=, ?mac= and ?kind= (dhcp, tftp, boot), resumed after the Last-Event-ID header's id (or
// ?after=ID): the bus replays what its history holds and reports the rest lost, in-band. The
// stream opens with a `retry:` hint, so an EventSource reconnects soon and resumes. A stream with nothing to send parks
// its connection (libmicrohttpd's suspend) and the bus resumes it when an event arrives, so an idle subscriber costs no
// polling; every heartbeat a comment line is written. Slots are bounded per address and in all; a full house makes room
// for a newcomer, and a client that stops reading loses its stream (api_server.h says how).
#include <microhttpd.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "control/api/api_server.h"
#include "control/api/rest_reply.h"
#include "proto/dhcp_leases.h"
#include "proto/tftp_path.h"

namespace rackboot::control {

struct ApiServer::Stream {
    ApiServer* server = nullptr;
    std::shared_ptr<Subscription> sub;
    MHD_Connection* conn = nullptr;
    std::string pending;
    std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
    // When an event (not a keep-alive) last went out, or the stream began.
    std::chrono::steady_clock::time_point last_event = last_write;
    std::uint32_t ip = 0;
    Conn* conn_state = nullptr;  // the connection's (valid while the stream lives)
    bool holds_slot = true;      // counted in the address's streams and the bus
    bool ending = false;         // evicted or stalled: the next read ends it
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

constexpr std::size_t kMaxEventPage = 1000;

// A request's filter and resume point (Last-Event-ID, else ?after=), and for the history its
// page size (?limit=, 1..1000, default 100); a refusal when one of them is malformed.
std::optional<HttpResponse> event_query(MHD_Connection* c, const std::map<std::string, std::string>& query,
                                        EventFilter& f, std::optional<std::uint64_t>& after, std::size_t* limit) {
    auto parse_id = [&](const std::string& v) {
        std::uint64_t id = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
        if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return false;
        after = id;
        return true;
    };
    if (const char* last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID"); last != nullptr) {
        // An empty one is what a client sends before it has seen an id: a fresh start.
        if (*last != '\0' && !parse_id(last)) return bad("Last-Event-ID is an event id (a number)", "Last-Event-ID");
    }
    for (const auto& [k, v] : query) {
        if (k == "serial") {
            std::optional<proto::Serial> serial = proto::Serial::parse_full(v);
            if (!serial) return bad("serial is 8 hex digits (or a Pi 5's 16)", "serial");
            f.serial = *serial;
        } else if (k == "mac") {
            std::optional<proto::Mac> mac = proto::Mac::parse(v);
            if (!mac) return bad("mac is six hex pairs (aa:bb:cc:dd:ee:ff)", "mac");
            f.mac = *mac;
        } else if (k == "kind") {
            if (v != "dhcp" && v != "tftp" && v != "boot") return bad("kind is dhcp, tftp or boot", "kind");
            f.kind = v;
        } else if (k == "after") {
            if (!parse_id(v)) return bad("after is an event id (a number)", "after");
        } else if (k == "limit" && limit != nullptr) {
            std::size_t n = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n == 0 || n > kMaxEventPage) {
                return bad("limit is 1.." + std::to_string(kMaxEventPage), "limit");
            }
            *limit = n;
        } else {
            return error_response(
                Outcome::fail(ApiError::unknown_field,
                              std::string("events are filtered by serial, mac and kind, and resumed after an id") +
                                  (limit != nullptr ? "; a page holds limit of them" : ""),
                              k));
        }
    }
    return std::nullopt;
}

}  // namespace

long ApiServer::read_stream(Stream& s, char* buf, std::size_t max) {
    if (closing_.load() || s.ending) return MHD_CONTENT_READER_END_OF_STREAM;
    auto now = std::chrono::steady_clock::now();
    if (s.pending.empty()) {
        bool heartbeat = now - s.last_write >= std::chrono::seconds(heartbeat_s_);
        MHD_Connection* c = s.conn;
        s.pending = events_->take(
            *s.sub, heartbeat ? std::function<void()>() : [c] { MHD_suspend_connection(c); });
        if (!s.pending.empty()) s.last_event = now;
        if (s.pending.empty() && heartbeat) s.pending = ": keep-alive\n\n";
        if (s.pending.empty()) return 0;  // parked until the bus resumes it
    }
    std::size_t n = std::min(max, s.pending.size());
    s.pending.copy(buf, n);
    s.pending.erase(0, n);
    s.last_write = now;
    return static_cast<long>(n);
}

void ApiServer::evict(Stream& s) {
    if (s.holds_slot) {
        s.holds_slot = false;
        events_->unsubscribe(s.sub);
        auto it = streams_per_address_.find(s.ip);
        if (it != streams_per_address_.end() && --it->second == 0) streams_per_address_.erase(it);
    }
    s.ending = true;
    if (s.conn_state != nullptr) cut(*s.conn_state);
    events_->wake(*s.sub);  // a parked stream reads once more, and ends
}

ApiServer::Stream* ApiServer::stream_to_evict() const {
    // The address holding the most streams gives one up: the one that delivered an event least
    // recently (an idle filter, or a client squatting on slots).
    Stream* victim = nullptr;
    std::uint32_t victim_share = 0;
    for (Stream* s : stream_list_) {
        if (!s->holds_slot) continue;
        auto it = streams_per_address_.find(s->ip);
        std::uint32_t share = it != streams_per_address_.end() ? it->second : 0;
        if (victim == nullptr || share > victim_share ||
            (share == victim_share && s->last_event < victim->last_event)) {
            victim = s;
            victim_share = share;
        }
    }
    return victim;
}

void ApiServer::forget_conn(const Conn* conn) {
    for (Stream* s : stream_list_) {
        if (s->conn_state == conn) s->conn_state = nullptr;
    }
}

void ApiServer::cut_stalled(std::chrono::steady_clock::time_point now) {
    for (Stream* s : stream_list_) {
        if (s->ending || now - s->last_write < std::chrono::seconds(heartbeat_s_ * kStallHeartbeats)) continue;
        evict(*s);
        streams_stalled_.fetch_add(1, std::memory_order_relaxed);
    }
}

void ApiServer::end_stream(Stream* s) {
    events_->set_resume(*s->sub, nullptr);  // the bus must not resume a connection that is going away
    if (s->holds_slot) {
        events_->unsubscribe(s->sub);
        auto it = streams_per_address_.find(s->ip);
        if (it != streams_per_address_.end() && --it->second == 0) streams_per_address_.erase(it);
    }
    stream_list_.erase(std::remove(stream_list_.begin(), stream_list_.end(), s), stream_list_.end());
    streams_.fetch_sub(1);
    delete s;
}

std::optional<HttpResponse> ApiServer::start_stream(MHD_Connection* c, const std::map<std::string, std::string>& query,
                                                    bool& queued) {
    EventFilter f;
    std::optional<std::uint64_t> after;
    if (auto refusal = event_query(c, query, f, after, nullptr)) return refusal;
    Conn* conn = conn_of(c);
    std::uint32_t ip = conn != nullptr ? conn->ip : 0;
    if (auto it = streams_per_address_.find(ip);
        it != streams_per_address_.end() && it->second >= kMaxStreamsPerAddress) {
        streams_per_address_refused_.fetch_add(1, std::memory_order_relaxed);
        return error_response(Outcome::fail(
            ApiError::too_many_requests,
            "this address holds " + std::to_string(kMaxStreamsPerAddress) + " event streams already: close one first"));
    }
    std::shared_ptr<Subscription> sub = events_->subscribe(f, after);
    if (!sub) {
        // Every slot is taken: one is given up for the newcomer.
        if (Stream* victim = stream_to_evict()) {
            evict(*victim);
            streams_evicted_.fetch_add(1, std::memory_order_relaxed);
            sub = events_->subscribe(f, after);
        }
    }
    if (!sub) {
        return error_response(Outcome::fail(
            ApiError::too_many_requests,
            "too many event subscribers (" + std::to_string(EventBus::kMaxSubscribers) + "): try again later"));
    }
    auto* s = new Stream();
    s->server = this;
    s->sub = sub;
    s->conn = c;
    s->ip = ip;
    s->conn_state = conn;
    s->pending = "retry: " + std::to_string(EventBus::kRetryMs) + "\n: rackboot events\n\n";
    ++streams_per_address_[ip];
    stream_list_.push_back(s);
    streams_.fetch_add(1);
    events_->set_resume(*sub, [c] { MHD_resume_connection(c); });
    MHD_Response* resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, &stream_read, s, &stream_free);
    if (resp == nullptr) {
        end_stream(s);
        return std::nullopt;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (conn != nullptr) {
        conn->streaming = true;
        // A fixed send buffer (no autotuning to megabytes): a client that stops reading fills it
        // soon, and the stream shows as stalled rather than parking events in the kernel.
        int bytes = kStreamSendBuffer;
        setsockopt(conn->fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    }
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    queued = MHD_queue_response(c, MHD_HTTP_OK, resp) == MHD_YES;
    MHD_destroy_response(resp);
    return std::nullopt;
}

}  // namespace rackboot::control

namespace rackboot::control {

HttpResponse ApiServer::event_history(MHD_Connection* c, const std::map<std::string, std::string>& query) {
    EventFilter f;
    std::optional<std::uint64_t> after;
    std::size_t limit = 100;
    if (auto refusal = event_query(c, query, f, after, &limit)) return *refusal;
    EventPage page = events_->page(f, after, limit);
    nlohmann::json items = nlohmann::json::array();
    for (const EventPage::Item& i : page.items) {
        items.push_back({{"id", i.id}, {"kind", i.kind}, {"data", nlohmann::json::parse(i.json, nullptr, false)}});
    }
    nlohmann::json body{{"items", items},
                        {"next", page.more ? nlohmann::json(page.items.back().id) : nlohmann::json(nullptr)},
                        {"last_id", page.last_id},
                        {"lost", page.lost.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(page.lost)}};
    return json_response(200, body);
}

}  // namespace rackboot::control
