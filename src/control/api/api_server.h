// The HTTP endpoint: GET /metrics, and the REST API v1 (rest_api.h) when one is given. Bound to
// loopback unless configured otherwise. GNU libmicrohttpd on one control thread with epoll (DESIGN.md: one
// control thread, not a worker), so slow or idle clients cost a descriptor each, never a thread
// that others wait for; and what a client can make it hold is bounded:
// - connections: kMaxConnections in all, kMaxPerAddress from one address. Beyond the address's
//   share a newcomer is closed at accept; at the total, the connection idle longest without a
//   request in progress is closed to make room (so clients that only hold connections open cannot
//   lock a scraper out), and the newcomer is refused only when every connection is busy. All counted;
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
#include <vector>

#include "control/api/rest_api.h"
#include "control/events/event_bus.h"
#include "proto/ipv4.h"
#include "proto/result.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace rackboot::control {

class ApiServer {
public:
    using MetricsSource = std::function<std::string()>;

    static constexpr std::uint32_t kMaxConnections = 64;
    static constexpr std::uint32_t kMaxPerAddress = 16;
    // Connections cut to make room close on the loop's next turn: up to this many more may be open
    // meanwhile (the descriptor budget reserves them too).
    static constexpr std::uint32_t kCutSlack = 16;
    static constexpr std::uint32_t kMaxDescriptors = kMaxConnections + kCutSlack;
    // Event streams one address may hold (of EventBus::kMaxSubscribers in all).
    static constexpr std::uint32_t kMaxStreamsPerAddress = 4;
    // A stream that wrote nothing (its socket full: the client does not read) for this many
    // heartbeats is cut; a live one writes at least its keep-alive line every heartbeat.
    static constexpr unsigned kStallHeartbeats = 4;
    static constexpr int kStreamSendBuffer = 64 * 1024;  // a stream's socket, so that a stall shows
    static constexpr std::uint64_t kMaxOtherBody = std::uint64_t{64} * 1024;  // any other route: refused unread
    static constexpr std::uint32_t kMaxHeaderBytes = 32 * 1024;
    static constexpr unsigned kIdleTimeoutS = 5;
    static constexpr unsigned kDeadlineS = 10;

    // `rest` (may be null: no API routes) must outlive the server.
    ApiServer(proto::Ipv4 addr, std::uint16_t port, MetricsSource metrics, RestApi* rest = nullptr);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    // Binds and starts serving, or says why not (the address cannot be bound, no TLS).
    [[nodiscard]] proto::Result<> start();
    void stop();
    // The port bound (the configured one, or the kernel's choice when that was 0).
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    // Serves HTTPS with these PEM texts (set before start()).
    void set_tls(std::string cert_pem, std::string key_pem) {
        tls_cert_ = std::move(cert_pem);
        tls_key_ = std::move(key_pem);
    }
    // GET /api/v1/events streams from `bus` (Server-Sent Events; set before start()). Streams are
    // exempt from the connection deadline and the idle timeout; a comment line every heartbeat
    // (kHeartbeatS unless set) keeps proxies (and the server's notice of a gone client) going.
    // An address holds at most kMaxStreamsPerAddress; when all are taken, a new subscriber takes
    // the slot of the stream that delivered an event least recently, from the address holding the
    // most; a stream whose client stopped reading is cut after kStallHeartbeats.
    void set_events(EventBus* bus, unsigned heartbeat_s = kHeartbeatS) noexcept {
        events_ = bus;
        heartbeat_s_ = heartbeat_s;
    }
    static constexpr unsigned kHeartbeatS = 15;

    // The endpoint's own counters, in Prometheus text (appended to /metrics).
    [[nodiscard]] std::string render_metrics() const;

    // libmicrohttpd's callbacks (C linkage targets; not for callers).
    struct Conn {
        std::uint32_t ip = 0;
        int fd = -1;
        std::chrono::steady_clock::time_point started;
        // Since the last request ended (or the connection opened, when none did yet).
        std::chrono::steady_clock::time_point idle_since;
        bool cut = false;        // shut down (the deadline, or to make room): closes on the next turn
        bool streaming = false;  // an event stream: no deadline, never cut to make room
        bool answering = false;  // a whole request arrived and is being answered
    };
    int on_accept(std::uint32_t ip);
    void on_request_done(MHD_Connection* c);
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
    void cut(Conn& conn);
    // At the connection cap: cuts the connection idle longest with no request in progress; false
    // when every one is busy.
    bool make_room();
    // At each heartbeat: cuts the streams that wrote nothing for kStallHeartbeats.
    void cut_stalled(std::chrono::steady_clock::time_point now);
    // Ends a stream now (its slot is free at once; the connection closes on the next turn).
    void evict(Stream& s);
    [[nodiscard]] Stream* stream_to_evict() const;
    // A connection closes: no stream may point at it any more.
    void forget_conn(const Conn* conn);
    [[nodiscard]] Conn* conn_of(MHD_Connection* c) const;
    // api_sse.cpp: starts GET /api/v1/events; a refusal to queue instead (bad filter, too many
    // subscribers), or nothing when the stream is queued (`queued` says whether it could be).
    std::optional<HttpResponse> start_stream(MHD_Connection* c, const std::map<std::string, std::string>& query,
                                             bool& queued);
    // GET /api/v1/events/history: a page of what the stream keeps, as JSON.
    HttpResponse event_history(MHD_Connection* c, const std::map<std::string, std::string>& query);

    proto::Ipv4 addr_;
    std::uint16_t port_;
    MetricsSource metrics_;
    RestApi* rest_;
    EventBus* events_ = nullptr;
    std::string tls_cert_;
    std::string tls_key_;
    std::atomic<bool> closing_{false};  // streams end: the server is stopping
    std::atomic<std::uint64_t> streams_{0};
    unsigned heartbeat_s_ = kHeartbeatS;
    std::chrono::steady_clock::time_point last_heartbeat_{};
    MHD_Daemon* daemon_ = nullptr;
    std::thread thread_;
    std::atomic<bool> stop_{false};

    // Touched by the control thread only (libmicrohttpd runs in it).
    std::map<std::uint32_t, std::uint32_t> per_address_;
    std::map<Conn*, int> open_;   // connection -> its socket
    std::uint32_t cut_open_ = 0;  // of open_, those cut and not yet closed
    std::vector<Stream*> stream_list_;
    std::map<std::uint32_t, std::uint32_t> streams_per_address_;  // streams holding a slot
    std::atomic<std::uint64_t> active_{0};
    std::atomic<std::uint64_t> made_room_{0};
    std::atomic<std::uint64_t> streams_per_address_refused_{0};
    std::atomic<std::uint64_t> streams_evicted_{0};
    std::atomic<std::uint64_t> streams_stalled_{0};
    std::atomic<std::uint64_t> refused_busy_{0};
    std::atomic<std::uint64_t> refused_per_address_{0};
    std::atomic<std::uint64_t> closed_deadline_{0};
    std::atomic<std::uint64_t> requests_{0};
    std::atomic<std::uint64_t> too_large_{0};
    std::atomic<std::uint64_t> bad_method_{0};
};

}  // namespace rackboot::control
