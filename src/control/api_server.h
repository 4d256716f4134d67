// The HTTP endpoint: GET /metrics, and the REST API v1 (rest_api.h) when one is given. Bound to
// loopback unless configured otherwise. GNU libmicrohttpd on one control thread with epoll (DESIGN.md: one
// control thread, not a worker), so slow or idle clients cost a descriptor each, never a thread
// that others wait for; and what a client can make it hold is bounded:
// - connections: kMaxConnections in all, kMaxPerAddress from one address; more are closed at
//   accept and counted;
// - time: kIdleTimeoutS without a byte, or kDeadlineS for a whole connection, and it is closed;
// - memory: request headers within kMaxHeaderBytes; a body is buffered only for the API's routes
//   and up to RestApi::kMaxApiBody; elsewhere one larger than kMaxOtherBody (or chunked) is answered 413
//   before it is read; a method a route lacks gets 405 with Allow.
// Its descriptors are its own budget (fd_budget.h reserves them), so the API cannot starve the
// dataplane.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "control/event_bus.h"
#include "control/rest_api.h"
#include "proto/ipv4.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace rackboot::control {

class ApiServer {
public:
    using MetricsSource = std::function<std::string()>;

    static constexpr std::uint32_t kMaxConnections = 64;
    static constexpr std::uint32_t kMaxPerAddress = 16;
    static constexpr std::uint64_t kMaxOtherBody = std::uint64_t{64} * 1024;  // any other route: refused unread
    static constexpr std::uint32_t kMaxHeaderBytes = 32 * 1024;
    static constexpr unsigned kIdleTimeoutS = 5;
    static constexpr unsigned kDeadlineS = 10;

    // `rest` (may be null: no API routes) must outlive the server.
    ApiServer(proto::Ipv4 addr, std::uint16_t port, MetricsSource metrics, RestApi* rest = nullptr);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    // Binds and starts serving; false (with a reason) when the address cannot be bound.
    [[nodiscard]] bool start(std::string& error);
    void stop();
    // The port bound (the configured one, or the kernel's choice when that was 0).
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    // Serves HTTPS with these PEM texts (set before start()).
    void set_tls(std::string cert_pem, std::string key_pem) {
        tls_cert_ = std::move(cert_pem);
        tls_key_ = std::move(key_pem);
    }
    // GET /api/v1/events streams from `bus` (Server-Sent Events; set before start()). Streams are
    // exempt from the connection deadline and the idle timeout; a comment line every
    // kHeartbeatS keeps proxies (and the server's notice of a gone client) going.
    void set_events(EventBus* bus) noexcept { events_ = bus; }
    static constexpr unsigned kHeartbeatS = 15;

    // The endpoint's own counters, in Prometheus text (appended to /metrics).
    [[nodiscard]] std::string render_metrics() const;

    // libmicrohttpd's callbacks (C linkage targets; not for callers).
    struct Conn {
        std::uint32_t ip = 0;
        int fd = -1;
        std::chrono::steady_clock::time_point started;
        bool cut = false;        // shut down at the deadline
        bool streaming = false;  // an event stream: no deadline
    };
    int on_accept(std::uint32_t ip);
    void on_connection(MHD_Connection* c, void** context, bool started);
    int on_request(MHD_Connection* c, const char* url, const char* method, const char* upload, std::size_t* upload_size,
                   void** request_context);
    struct Pending;  // a request whose body is being read
    struct Stream;   // an event stream (api_sse.cpp)
    long read_stream(Stream& s, char* buf, std::size_t max);
    void end_stream(Stream* s);

private:
    void run();
    void close_overdue();
    // api_sse.cpp: starts GET /api/v1/events; a refusal to queue instead (bad filter, method, too
    // many subscribers), or nothing when the stream is queued (`queued` says whether it could be).
    std::optional<HttpResponse> start_stream(MHD_Connection* c, const std::string& method,
                                             const std::map<std::string, std::string>& query, bool& queued);

    proto::Ipv4 addr_;
    std::uint16_t port_;
    MetricsSource metrics_;
    RestApi* rest_;
    EventBus* events_ = nullptr;
    std::string tls_cert_;
    std::string tls_key_;
    std::atomic<bool> closing_{false};  // streams end: the server is stopping
    std::atomic<std::uint64_t> streams_{0};
    std::chrono::steady_clock::time_point last_heartbeat_{};
    MHD_Daemon* daemon_ = nullptr;
    std::thread thread_;
    std::atomic<bool> stop_{false};

    // Touched by the control thread only (libmicrohttpd runs in it).
    std::map<std::uint32_t, std::uint32_t> per_address_;
    std::map<Conn*, int> open_;  // connection -> its socket
    std::atomic<std::uint64_t> active_{0};
    std::atomic<std::uint64_t> refused_busy_{0};
    std::atomic<std::uint64_t> refused_per_address_{0};
    std::atomic<std::uint64_t> closed_deadline_{0};
    std::atomic<std::uint64_t> requests_{0};
    std::atomic<std::uint64_t> too_large_{0};
    std::atomic<std::uint64_t> bad_method_{0};
};

}  // namespace rackboot::control
