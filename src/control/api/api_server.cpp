#include "control/api/api_server.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string_view>

#include "control/metrics/families.h"

namespace rackboot::control {

namespace {

MHD_Result accept_cb(void* cls, const sockaddr* addr, socklen_t len) {
    std::uint32_t ip = 0;
    if (addr != nullptr && addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        ip = ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr);
    }
    return static_cast<ApiServer*>(cls)->on_accept(ip) != 0 ? MHD_YES : MHD_NO;
}

void notify_cb(void* cls, MHD_Connection* c, void** context, MHD_ConnectionNotificationCode code) {
    static_cast<ApiServer*>(cls)->on_connection(c, context, code == MHD_CONNECTION_NOTIFY_STARTED);
}

MHD_Result request_cb(void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                      const char* upload, std::size_t* upload_size, void** request_context) {
    return static_cast<ApiServer*>(cls)->on_request(c, url, method, upload, upload_size, request_context) != 0 ? MHD_YES
                                                                                                               : MHD_NO;
}

MHD_Result collect_cb(void* cls, MHD_ValueKind, const char* key, const char* value) {
    auto* m = static_cast<std::map<std::string, std::string>*>(cls);
    std::string k = key != nullptr ? key : "";
    for (char& ch : k) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    (*m)[k] = value != nullptr ? value : "";
    return MHD_YES;
}

// Headers into the request, names lowercase; a name seen again is noted in `repeated` (the API
// refuses a repeated Authorization rather than pick one).
MHD_Result header_cb(void* cls, MHD_ValueKind, const char* key, const char* value) {
    auto* req = static_cast<HttpRequest*>(cls);
    std::string k = key != nullptr ? key : "";
    for (char& ch : k) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    auto [it, fresh] = req->header.insert_or_assign(k, value != nullptr ? value : "");
    if (!fresh && std::find(req->repeated.begin(), req->repeated.end(), it->first) == req->repeated.end()) {
        req->repeated.push_back(it->first);
    }
    return MHD_YES;
}

void completed_cb(void*, MHD_Connection*, void** request_context, MHD_RequestTerminationCode);

bool queue(MHD_Connection* c, const HttpResponse& r) {
    MHD_Response* resp =
        MHD_create_response_from_buffer(r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
    if (resp == nullptr) return false;
    if (!r.content_type.empty()) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
    for (const auto& [k, v] : r.headers) MHD_add_response_header(resp, k.c_str(), v.c_str());
    bool ok = MHD_queue_response(c, r.status, resp) == MHD_YES;
    MHD_destroy_response(resp);
    return ok;
}

// An error in the API's one shape (rest_api.h's error_response, from store/api_error.h).
bool respond_error(MHD_Connection* c, ApiError e, const std::string& message, bool close, const char* allow = nullptr) {
    HttpResponse r = error_response(Outcome::fail(e, message));
    if (close) r.headers.emplace_back(MHD_HTTP_HEADER_CONNECTION, "close");
    if (allow != nullptr) r.headers.emplace_back(MHD_HTTP_HEADER_ALLOW, allow);
    return queue(c, r);
}

// The body a request announces: its Content-Length, "unbounded" when chunked, 0 when none.
std::uint64_t announced_body(MHD_Connection* c) {
    const char* te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (te != nullptr) return UINT64_MAX;
    const char* cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl == nullptr) return 0;
    char* end = nullptr;
    unsigned long long n = std::strtoull(cl, &end, 10);
    return end == cl ? UINT64_MAX : n;
}

}  // namespace

struct ApiServer::Pending {
    bool api = false;  // an API route: its body is read, then handled
    std::string body;
    bool too_large = false;
};

namespace {

// Frees a request's state however it ended (answered, timed out, connection lost).
void completed_cb(void* cls, MHD_Connection* c, void** request_context, MHD_RequestTerminationCode) {
    delete static_cast<ApiServer::Pending*>(*request_context);
    *request_context = nullptr;
    static_cast<ApiServer*>(cls)->on_request_done(c);
}

}  // namespace

ApiServer::ApiServer(proto::Ipv4 addr, std::uint16_t port, MetricsSource metrics, RestApi* rest)
    : addr_(addr), port_(port), metrics_(std::move(metrics)), rest_(rest) {
}

ApiServer::~ApiServer() {
    stop();
}

proto::Result<> ApiServer::start() {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = addr_.network();
    sa.sin_port = htons(port_);
    // An external event loop (run() below) so that the deadline check shares its thread.
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    bool tls = !tls_cert_.empty();
    if (tls) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            return proto::failure("this libmicrohttpd has no TLS: HTTPS (--api-tls-cert) is not available");
        }
        flags |= MHD_USE_TLS;
    }
    MHD_OptionItem tls_options[] = {
        {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, const_cast<char*>(tls_cert_.c_str())},
        {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, const_cast<char*>(tls_key_.c_str())},
        {MHD_OPTION_END, 0, nullptr},
    };
    daemon_ = MHD_start_daemon(
        flags, port_, &accept_cb, this, &request_cb, this, MHD_OPTION_SOCK_ADDR, reinterpret_cast<const sockaddr*>(&sa),
        MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(kMaxDescriptors), MHD_OPTION_CONNECTION_TIMEOUT,
        kIdleTimeoutS, MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<std::size_t>(kMaxHeaderBytes),
        MHD_OPTION_NOTIFY_CONNECTION, &notify_cb, this, MHD_OPTION_NOTIFY_COMPLETED, &completed_cb, this,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 128u, MHD_OPTION_ARRAY, tls_options, MHD_OPTION_END);
    if (daemon_ == nullptr) {
        return proto::failure("cannot bind the API to " + addr_.to_string() + ":" + std::to_string(port_) +
                              (tls ? " (or the TLS certificate and key were not accepted)" : ""));
    }
    if (const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)) port_ = info->port;
    stop_.store(false);
    thread_ = std::thread([this] { run(); });
    return {};
}

void ApiServer::stop() {
    if (thread_.joinable() && events_ != nullptr && streams_.load() > 0) {
        // Streams end first (a suspended connection must not outlive the daemon).
        closing_.store(true);
        events_->wake_all();
        for (int i = 0; i < 100 && streams_.load() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
}

void ApiServer::run() {
    while (!stop_.load()) {
        MHD_run_wait(daemon_, 250);
        close_overdue();
        auto now = std::chrono::steady_clock::now();
        if (events_ != nullptr && now - last_heartbeat_ >= std::chrono::seconds(heartbeat_s_)) {
            last_heartbeat_ = now;
            cut_stalled(now);
            events_->wake_all();  // each parked stream writes its keep-alive line
        }
    }
}

void ApiServer::cut(Conn& conn) {
    // The next run of the loop sees the socket end and closes the connection (and tells
    // on_connection): the descriptor stays ours until then, so this cannot hit another.
    if (conn.cut) return;
    shutdown(conn.fd, SHUT_RDWR);
    conn.cut = true;
    ++cut_open_;
}

void ApiServer::close_overdue() {
    auto now = std::chrono::steady_clock::now();
    for (auto& [conn, fd] : open_) {
        if (conn->cut || conn->streaming || now - conn->started < std::chrono::seconds(kDeadlineS)) continue;
        cut(*conn);
        closed_deadline_.fetch_add(1, std::memory_order_relaxed);
    }
}

bool ApiServer::make_room() {
    Conn* idlest = nullptr;
    for (const auto& [conn, fd] : open_) {
        if (conn->cut || conn->streaming || conn->answering) continue;
        if (idlest == nullptr || conn->idle_since < idlest->idle_since) idlest = conn;
    }
    if (idlest == nullptr) return false;
    cut(*idlest);
    made_room_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

int ApiServer::on_accept(std::uint32_t ip) {
    auto it = per_address_.find(ip);
    if (it != per_address_.end() && it->second >= kMaxPerAddress) {
        refused_per_address_.fetch_add(1, std::memory_order_relaxed);
        return 0;
    }
    // Those cut close on the next turn: they count against the descriptors, not the connections.
    std::uint64_t open = active_.load(std::memory_order_relaxed);
    bool full = open - cut_open_ >= kMaxConnections;
    if (open + 1 >= kMaxDescriptors || (full && !make_room())) {
        refused_busy_.fetch_add(1, std::memory_order_relaxed);
        return 0;
    }
    return 1;
}

ApiServer::Conn* ApiServer::conn_of(MHD_Connection* c) const {
    const MHD_ConnectionInfo* i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i != nullptr ? static_cast<Conn*>(i->socket_context) : nullptr;
}

void ApiServer::on_request_done(MHD_Connection* c) {
    if (Conn* conn = conn_of(c)) {
        conn->answering = false;
        conn->idle_since = std::chrono::steady_clock::now();
    }
}

void ApiServer::on_connection(MHD_Connection* c, void** context, bool started) {
    if (started) {
        auto* conn = new Conn();
        conn->started = std::chrono::steady_clock::now();
        conn->idle_since = conn->started;
        if (const MHD_ConnectionInfo* i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS)) {
            const sockaddr* a = i->client_addr;
            if (a != nullptr && a->sa_family == AF_INET) {
                conn->ip = ntohl(reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr);
            }
        }
        if (const MHD_ConnectionInfo* i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)) {
            conn->fd = i->connect_fd;
        }
        *context = conn;
        ++per_address_[conn->ip];
        open_[conn] = conn->fd;
        active_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    auto* conn = static_cast<Conn*>(*context);
    if (conn == nullptr) return;
    open_.erase(conn);
    if (conn->cut) --cut_open_;
    forget_conn(conn);
    auto it = per_address_.find(conn->ip);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
    active_.fetch_sub(1, std::memory_order_relaxed);
    delete conn;
    *context = nullptr;
}

int ApiServer::on_request(MHD_Connection* c, const char* url, const char* method, const char* upload,
                          std::size_t* upload_size, void** request_context) {
    std::string_view m(method);
    std::string path(url);
    if (*request_context == nullptr) {
        auto* p = new Pending();
        *request_context = p;
        requests_.fetch_add(1, std::memory_order_relaxed);
        std::uint64_t body = announced_body(c);
        RouteMatch route = match_route(RestApi::routes(), path);
        p->api = rest_ != nullptr && route.found() && route.answers() == Answers::rest;
        std::uint64_t limit = p->api ? RestApi::kMaxApiBody : kMaxOtherBody;
        if (body > limit && (!p->api || body != UINT64_MAX)) {
            // Refused before a byte of it is read (a chunked body to the API is counted as read).
            too_large_.fetch_add(1, std::memory_order_relaxed);
            return respond_error(c, ApiError::payload_too_large,
                                 "request bodies are limited to " + std::to_string(limit) + " bytes here", true)
                       ? 1
                       : 0;
        }
        // Headers are in: unless the body is the API's to read, the request is whole.
        if (!p->api) {
            if (Conn* conn = conn_of(c)) conn->answering = true;
        }
        if (p->api) return 1;  // the body (if any) comes in the next calls
        // The server's own routes (the event stream, the metrics page): their rows say the methods.
        bool own = route.found() && (route.answers() == Answers::metrics || events_ != nullptr);
        if (own && route.find(m) == nullptr) {
            bad_method_.fetch_add(1, std::memory_order_relaxed);
            std::string allow = route.allow();
            return respond_error(c, ApiError::method_not_allowed, "this resource answers " + allow, true, allow.c_str())
                       ? 1
                       : 0;
        }
        if (own && route.answers() == Answers::events) {
            std::map<std::string, std::string> query;
            MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, &collect_cb, &query);
            if (route.pattern() == "/api/v1/events/history") return queue(c, event_history(c, query)) ? 1 : 0;
            bool queued = false;
            std::optional<HttpResponse> refusal = start_stream(c, query, queued);
            if (refusal) return queue(c, *refusal) ? 1 : 0;
            return queued ? 1 : 0;
        }
        if (own && route.answers() == Answers::metrics) {
            HttpResponse r{MHD_HTTP_OK, metrics_() + render_metrics(), "text/plain; version=0.0.4; charset=utf-8", {}};
            if (body != 0) r.headers.emplace_back(MHD_HTTP_HEADER_CONNECTION, "close");  // its body is left unread
            return queue(c, r) ? 1 : 0;
        }
        return respond_error(c, ApiError::not_found, "no such endpoint", body != 0) ? 1 : 0;
    }
    auto* p = static_cast<Pending*>(*request_context);
    if (!p->api) return 1;  // answered on the first call; the rest of a body is not ours to read
    if (*upload_size != 0) {
        if (!p->too_large && p->body.size() + *upload_size <= RestApi::kMaxApiBody) {
            p->body.append(upload, *upload_size);
        } else {
            p->too_large = true;  // a chunked body past the limit: drop what follows
            p->body.clear();
        }
        *upload_size = 0;
        return 1;
    }
    if (p->too_large) {
        too_large_.fetch_add(1, std::memory_order_relaxed);
        return respond_error(c, ApiError::payload_too_large,
                             "request bodies are limited to " + std::to_string(RestApi::kMaxApiBody) + " bytes here",
                             true)
                   ? 1
                   : 0;
    }
    if (Conn* conn = conn_of(c)) conn->answering = true;
    HttpRequest req;
    req.method = m;
    req.path = path;
    req.body = std::move(p->body);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, &collect_cb, &req.query);
    MHD_get_connection_values(c, MHD_HEADER_KIND, &header_cb, &req);
    HttpResponse r = rest_->handle(req);
    if (r.status == 405) bad_method_.fetch_add(1, std::memory_order_relaxed);
    return queue(c, r) ? 1 : 0;
}

std::string ApiServer::render_metrics() const {
    std::ostringstream out;
    out << metric_header("rackboot_api_connections") << "rackboot_api_connections "
        << active_.load(std::memory_order_relaxed) << '\n'
        << metric_header("rackboot_api_requests_total") << "rackboot_api_requests_total "
        << requests_.load(std::memory_order_relaxed) << '\n'
        << metric_header("rackboot_api_refused_total") << "rackboot_api_refused_total{reason=\"busy\"} "
        << refused_busy_.load(std::memory_order_relaxed) << '\n'
        << "rackboot_api_refused_total{reason=\"per_address\"} " << refused_per_address_.load(std::memory_order_relaxed)
        << '\n'
        << "rackboot_api_refused_total{reason=\"deadline\"} " << closed_deadline_.load(std::memory_order_relaxed)
        << '\n'
        << "rackboot_api_refused_total{reason=\"too_large\"} " << too_large_.load(std::memory_order_relaxed) << '\n'
        << "rackboot_api_refused_total{reason=\"method\"} " << bad_method_.load(std::memory_order_relaxed) << '\n'
        << "rackboot_api_refused_total{reason=\"made_room\"} " << made_room_.load(std::memory_order_relaxed) << '\n'
        << "rackboot_api_refused_total{reason=\"streams_per_address\"} "
        << streams_per_address_refused_.load(std::memory_order_relaxed) << '\n'
        << "rackboot_api_refused_total{reason=\"stream_evicted\"} " << streams_evicted_.load(std::memory_order_relaxed)
        << '\n'
        << "rackboot_api_refused_total{reason=\"stream_stalled\"} " << streams_stalled_.load(std::memory_order_relaxed)
        << '\n'
        << metric_header("rackboot_api_event_streams") << "rackboot_api_event_streams "
        << streams_.load(std::memory_order_relaxed) << '\n';
    if (events_ != nullptr) {
        out << metric_header("rackboot_events_published_total") << "rackboot_events_published_total "
            << events_->published() << '\n'
            << metric_header("rackboot_events_lost_total") << "rackboot_events_lost_total " << events_->lost() << '\n'
            << metric_header("rackboot_event_history") << "rackboot_event_history " << events_->history_size() << '\n'
            << metric_header("rackboot_event_last_id") << "rackboot_event_last_id " << events_->last_id() << '\n';
    }
    return out.str();
}

}  // namespace rackboot::control
