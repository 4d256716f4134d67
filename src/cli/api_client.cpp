#include "cli/api_client.h"

#include <cstring>
#include <memory>

#include <curl/curl.h>

namespace rackboot::cli {

namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

std::size_t take_etag(char* data, std::size_t size, std::size_t n, void* out) {
    std::string line(data, size * n);
    if (line.size() > 5 && (line.compare(0, 5, "ETag:") == 0 || line.compare(0, 5, "etag:") == 0)) {
        std::string v = line.substr(5);
        while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
        while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
        *static_cast<std::string*>(out) = v;
    }
    return size * n;
}

struct Curl {
    CURL* h = curl_easy_init();
    curl_slist* headers = nullptr;
    ~Curl() {
        curl_slist_free_all(headers);
        curl_easy_cleanup(h);
    }
};

// SSE parsing over the bytes as they come.
struct StreamState {
    std::string buf;
    SseEvent current;
    bool has_data = false;
    const std::function<bool(const SseEvent&)>* on_event = nullptr;
    bool stop = false;
    CURL* h = nullptr;
    bool* connected = nullptr;
};

// A field line's value: after "name:" and one optional space (the SSE grammar).
bool field(const std::string& line, const char* name, std::string& value) {
    std::size_t n = std::strlen(name);
    if (line.compare(0, n, name) != 0 || line.size() <= n || line[n] != ':') return false;
    value = line.substr(n + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    return true;
}

std::size_t feed_stream(char* data, std::size_t size, std::size_t n, void* out) {
    auto* s = static_cast<StreamState*>(out);
    long status = 0;
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        s->buf.append(data, size * n);  // an error's body, kept for the caller
        return size * n;
    }
    if (s->connected != nullptr) *s->connected = true;
    s->buf.append(data, size * n);
    std::size_t eol;
    while ((eol = s->buf.find('\n')) != std::string::npos) {
        std::string line = s->buf.substr(0, eol);
        s->buf.erase(0, eol + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::string value;
        if (line.empty()) {
            if (s->has_data && !(*s->on_event)(s->current)) {
                s->stop = true;
                return 0;  // ends the transfer
            }
            s->current.event.clear();
            s->current.data.clear();
            s->current.id.clear();
            s->has_data = false;
        } else if (field(line, "event", value)) {
            s->current.event = value;
        } else if (field(line, "id", value)) {
            s->current.id = value;
        } else if (field(line, "data", value)) {
            s->current.data += (s->has_data ? "\n" : "") + value;
            s->has_data = true;
        }
    }
    return size * n;
}

}  // namespace

ApiClient::ApiClient(std::string base, std::string token, std::string cacert)
    : base_(std::move(base)), token_(std::move(token)), cacert_(std::move(cacert)) {
    if (base_.find("://") == std::string::npos) base_ = "http://" + base_;
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

ApiReply ApiClient::call(const std::string& method, const std::string& path, const std::string& body,
                         const std::string& if_match) const {
    ApiReply r;
    Curl c;
    if (c.h == nullptr) {
        r.error = "cannot start libcurl";
        return r;
    }
    std::string url = base_ + path;
    curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c.h, CURLOPT_HEADERFUNCTION, &take_etag);
    curl_easy_setopt(c.h, CURLOPT_HEADERDATA, &r.etag);
    curl_easy_setopt(c.h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT, 5L);
    if (!cacert_.empty()) curl_easy_setopt(c.h, CURLOPT_CAINFO, cacert_.c_str());
    if (!token_.empty()) c.headers = curl_slist_append(c.headers, ("Authorization: Bearer " + token_).c_str());
    if (!if_match.empty()) c.headers = curl_slist_append(c.headers, ("If-Match: " + if_match).c_str());
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        c.headers = curl_slist_append(c.headers, "Content-Type: application/json");
        curl_easy_setopt(c.h, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c.h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, c.headers);
    CURLcode rc = curl_easy_perform(c.h);
    if (rc != CURLE_OK) {
        r.error = curl_easy_strerror(rc);
        return r;
    }
    r.reached = true;
    curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &r.status);
    return r;
}

ApiReply ApiClient::stream(const std::string& path, const std::string& last_event_id,
                           const std::function<bool(const SseEvent&)>& on_event, long max_s, bool* connected) const {
    ApiReply r;
    Curl c;
    StreamState s;
    s.on_event = &on_event;
    s.h = c.h;
    s.connected = connected;
    std::string url = base_ + path;
    curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, &feed_stream);
    curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT, 5L);
    if (max_s > 0) curl_easy_setopt(c.h, CURLOPT_TIMEOUT, max_s);
    if (!cacert_.empty()) curl_easy_setopt(c.h, CURLOPT_CAINFO, cacert_.c_str());
    if (!token_.empty()) c.headers = curl_slist_append(c.headers, ("Authorization: Bearer " + token_).c_str());
    if (!last_event_id.empty()) c.headers = curl_slist_append(c.headers, ("Last-Event-ID: " + last_event_id).c_str());
    c.headers = curl_slist_append(c.headers, "Accept: text/event-stream");
    curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, c.headers);
    CURLcode rc = curl_easy_perform(c.h);
    curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &r.status);
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || (rc != CURLE_OK && r.status == 0)) {
        r.error = curl_easy_strerror(rc);
        return r;
    }
    r.reached = true;
    r.body = s.buf;
    if (rc != CURLE_OK && !s.stop) r.error = curl_easy_strerror(rc);  // cut mid-stream
    return r;
}

}  // namespace rackboot::cli
