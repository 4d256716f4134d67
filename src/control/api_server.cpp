#include "control/api_server.h"

#include <httplib.h>

namespace rackboot::control {

ApiServer::ApiServer(proto::Ipv4 addr, std::uint16_t port, MetricsSource metrics)
    : addr_(addr), port_(port), metrics_(std::move(metrics)), server_(std::make_unique<httplib::Server>()) {
}

ApiServer::~ApiServer() {
    stop();
}

bool ApiServer::start(std::string& error) {
    server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(metrics_(), "text/plain; version=0.0.4; charset=utf-8");
    });
    server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.status == 404) {
            res.set_content("{\"error\":\"not_found\",\"message\":\"no such endpoint\"}\n", "application/json");
        }
    });
    const std::string host = addr_.to_string();
    if (port_ == 0) {
        int bound = server_->bind_to_any_port(host);
        if (bound <= 0) {
            error = std::string("cannot bind the API to ") + host + ":0";
            return false;
        }
        port_ = static_cast<std::uint16_t>(bound);
    } else if (!server_->bind_to_port(host, port_)) {
        error = std::string("cannot bind the API to ") + host + ":" + std::to_string(port_);
        return false;
    }
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    return true;
}

void ApiServer::stop() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace rackboot::control
