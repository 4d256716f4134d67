// rackbootctl's HTTP client of the REST API (libcurl): one request at a time, or a stream of
// Server-Sent Events. The token rides in "Authorization: Bearer" on every request.
#pragma once

#include <functional>
#include <string>

namespace rackboot::cli {

struct ApiReply {
    bool reached = false;  // false: the server could not be reached (error says why)
    long status = 0;
    std::string body;
    std::string etag;
    std::string error;
};

// One Server-Sent Event: its id (empty when it had none), name and data.
struct SseEvent {
    std::string id;
    std::string event;
    std::string data;
};

class ApiClient {
public:
    // `base`: http://ADDR:PORT (an ADDR:PORT alone gets http://).
    ApiClient(std::string base, std::string token, std::string cacert = {});

    [[nodiscard]] ApiReply call(const std::string& method, const std::string& path, const std::string& body = {},
                                const std::string& if_match = {}) const;
    // GET `path` as an event stream, resumed after `last_event_id` (empty: from now): `on_event`
    // for each event until it returns false, the server ends the stream or `max_s` passes (0:
    // no limit). `connected` is set once the server answered 200.
    [[nodiscard]] ApiReply stream(const std::string& path, const std::string& last_event_id,
                                  const std::function<bool(const SseEvent&)>& on_event, long max_s,
                                  bool* connected = nullptr) const;

private:
    std::string base_;
    std::string token_;
    std::string cacert_;  // https: the CA (or self-signed certificate) to trust; empty: the system's
};

}  // namespace rackboot::cli
