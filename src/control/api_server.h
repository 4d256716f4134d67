// The HTTP endpoint (cpp-httplib) on its own thread: GET /metrics for now; the REST admin API
// joins it later. Bound to loopback unless configured otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "proto/ipv4.h"

namespace httplib {
class Server;
}

namespace rackboot::control {

class ApiServer {
public:
    using MetricsSource = std::function<std::string()>;

    // Connections served at once (each has its own thread); more are answered 503 and closed.
    static constexpr std::uint32_t kMaxConnections = 64;

    ApiServer(proto::Ipv4 addr, std::uint16_t port, MetricsSource metrics);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    // Binds and starts serving; false (with a reason) when the address cannot be bound.
    [[nodiscard]] bool start(std::string& error);
    void stop();
    // The port bound (the configured one, or the kernel's choice when that was 0).
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

private:
    proto::Ipv4 addr_;
    std::uint16_t port_;
    MetricsSource metrics_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
};

}  // namespace rackboot::control
