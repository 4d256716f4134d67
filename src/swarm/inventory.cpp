#include "swarm/inventory.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

namespace rackboot::swarm {

namespace {

using nlohmann::json;

constexpr std::uint8_t kOui[3][3] = {{0xb8, 0x27, 0xeb}, {0xdc, 0xa6, 0x32}, {0x2c, 0xcf, 0x67}};

std::optional<proto::PiModel> model_of_name(std::string_view m) {
    if (m == "pi3") return proto::PiModel::pi3;
    if (m == "pi4") return proto::PiModel::pi4;
    if (m == "pi5") return proto::PiModel::pi5;
    return std::nullopt;
}

proto::PiModel model_of_mac(const proto::Mac& mac) {
    for (int m : {0, 2}) {
        if (std::memcmp(mac.data(), kOui[m], 3) == 0) return static_cast<proto::PiModel>(m);
    }
    return proto::PiModel::pi4;
}

struct Entry {
    std::string where;  // "line 3", "board 5a5a0001"
    std::string serial;
    std::string mac;  // empty: none
    std::string model;
};

proto::Result<> add(const Entry& e, Inventory& inv, std::set<std::uint32_t>& serials, std::set<proto::Mac>& macs) {
    proto::FakePi pi;
    std::optional<proto::Serial> serial = proto::Serial::parse_full(e.serial);
    if (!serial) return proto::failure(e.where + ": '" + e.serial + "' is not a serial (8 hex digits, or 16)");
    pi.serial = *serial;
    std::optional<proto::Mac> mac;
    if (!e.mac.empty()) {
        mac = proto::Mac::parse(e.mac);
        if (!mac) return proto::failure(e.where + ": '" + e.mac + "' is not a MAC address");
    }
    if (!e.model.empty()) {
        std::optional<proto::PiModel> m = model_of_name(e.model);
        if (!m) return proto::failure(e.where + ": the model '" + e.model + "' is not pi3, pi4 or pi5");
        pi.model = *m;
    } else {
        pi.model = mac ? model_of_mac(*mac) : proto::PiModel::pi4;
    }
    if (!mac) {
        if (pi.model == proto::PiModel::pi3) {
            inv.notes.push_back(e.where + ": a Pi 3 with no MAC is left out (its boot ROM sends no serial)");
            return {};
        }
        // One of ours: the model's OUI, the low bytes 0xf0 0000 + its place (not a real Pi's).
        proto::Mac made{};
        std::memcpy(made.data(), kOui[static_cast<int>(pi.model)], 3);
        std::uint32_t id = 0xf00000u + static_cast<std::uint32_t>(inv.pis.size());
        made[3] = static_cast<std::uint8_t>(id >> 16);
        made[4] = static_cast<std::uint8_t>(id >> 8);
        made[5] = static_cast<std::uint8_t>(id);
        mac = made;
        inv.notes.push_back(e.where + ": no MAC listed, booted as " + made.to_string());
    }
    pi.mac = *mac;
    if (!serials.insert(pi.serial.value()).second) {
        return proto::failure(e.where + ": serial " + pi.serial.to_string() + " is listed twice");
    }
    if (!macs.insert(pi.mac).second)
        return proto::failure(e.where + ": MAC " + pi.mac.to_string() + " is listed twice");
    inv.pis.push_back(pi);
    return {};
}

proto::Result<Inventory> from_json(const json& doc) {
    const json& items = doc.is_object() && doc.contains("items") ? doc["items"] : doc;
    if (!items.is_array()) return proto::failure("the listing is JSON but not a list of boards");
    Inventory inv;
    std::set<std::uint32_t> serials;
    std::set<proto::Mac> macs;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const json& b = items[i];
        if (!b.is_object() || !b.contains("serial") || !b["serial"].is_string()) {
            return proto::failure("board " + std::to_string(i + 1) + " of the listing has no serial");
        }
        Entry e;
        e.serial = b["serial"].get<std::string>();
        e.where = "board " + e.serial;
        // Its configured MAC, else the one the server learnt.
        if (b.contains("macs") && b["macs"].is_array() && !b["macs"].empty() && b["macs"][0].is_string()) {
            e.mac = b["macs"][0].get<std::string>();
        } else if (b.contains("learnt_macs") && b["learnt_macs"].is_array() && !b["learnt_macs"].empty()) {
            const json& l = b["learnt_macs"][0];
            if (l.is_object() && l.contains("mac") && l["mac"].is_string()) e.mac = l["mac"].get<std::string>();
        }
        if (b.contains("model") && b["model"].is_string()) e.model = b["model"].get<std::string>();
        if (proto::Result<> ok = add(e, inv, serials, macs); !ok) return tl::unexpected(ok.error());
    }
    return inv;
}

std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

}  // namespace

proto::Result<Inventory> parse_inventory(std::string_view text) {
    std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (text[first] == '[' || text[first] == '{')) {
        json doc = json::parse(text, nullptr, false);
        if (doc.is_discarded()) return proto::failure("the listing starts as JSON but does not parse");
        return from_json(doc);
    }
    Inventory inv;
    std::set<std::uint32_t> serials;
    std::set<proto::Mac> macs;
    std::istringstream lines{std::string(text)};
    std::string line;
    for (int n = 1; std::getline(lines, line); ++n) {
        if (std::size_t hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        std::istringstream words(line);
        Entry e;
        e.where = "line " + std::to_string(n);
        if (!(words >> e.serial)) continue;  // blank
        words >> e.mac >> e.model;
        if (std::string more; words >> more) return proto::failure(e.where + ": expected SERIAL MAC [MODEL]");
        if (proto::Result<> ok = add(e, inv, serials, macs); !ok) return tl::unexpected(ok.error());
    }
    if (inv.pis.empty() && inv.notes.empty()) return proto::failure("the listing holds no board");
    return inv;
}

proto::Result<std::string> fetch_boards(const std::string& url) {
    std::string base = url;
    if (base.find("://") == std::string::npos) base = "http://" + base;
    std::size_t path_at = base.find('/', base.find("://") + 3);
    std::string path = path_at == std::string::npos ? "" : base.substr(path_at);
    if (path_at != std::string::npos) base.erase(path_at);
    if (path.empty() || path == "/") path = "/api/v1/boards";
    std::string query;
    if (std::size_t q = path.find('?'); q != std::string::npos) {
        query = path.substr(q + 1);
        path.erase(q);
    }
    if (path != "/api/v1/boards") return proto::failure("--from-api: " + url + " is not rackbootd's /api/v1/boards");
    json all = json::array();
    std::string after;
    for (int page = 0; page < 10000; ++page) {  // bounded: 10 million boards
        std::string u =
            base + path + "?limit=1000" + (query.empty() ? "" : "&" + query) + (after.empty() ? "" : "&after=" + after);
        std::string body;
        CURL* h = curl_easy_init();
        if (h == nullptr) return proto::failure("--from-api: cannot start libcurl");
        curl_easy_setopt(h, CURLOPT_URL, u.c_str());
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &append);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(h);
        if (rc != CURLE_OK) return proto::failure("--from-api: " + u + ": " + curl_easy_strerror(rc));
        json doc = json::parse(body, nullptr, false);
        if (status != 200 || !doc.is_object() || !doc.contains("items")) {
            return proto::failure("--from-api: " + u + " answered " + std::to_string(status) + ": " +
                                  body.substr(0, 300));
        }
        for (json& b : doc["items"]) all.push_back(std::move(b));
        if (!doc.contains("next") || !doc["next"].is_string()) break;
        after = doc["next"].get<std::string>();
    }
    return json{{"items", all}}.dump();
}

proto::Result<std::vector<std::string>> load_inventory(SwarmOptions& o) {
    std::string text;
    std::string from = !o.boards_file.empty() ? "--boards " + o.boards_file : "--from-api " + o.from_api;
    if (!o.boards_file.empty()) {
        std::ifstream in(o.boards_file);
        if (!in) return proto::failure(from + ": cannot read it", 2);
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else {
        proto::Result<std::string> got = fetch_boards(o.from_api);
        if (!got) return proto::failure(got.error().reason, 2);
        text = std::move(*got);
    }
    proto::Result<Inventory> inv = parse_inventory(text);
    if (!inv) return proto::failure(from + ": " + inv.error().reason, 2);
    if (inv->pis.empty()) return proto::failure(from + ": no board to boot", 2);
    if (!o.pool_first.unset() && std::uint64_t{o.pool_last.value()} - o.pool_first.value() + 1 < inv->pis.size()) {
        return proto::failure("--static-pool holds fewer addresses than the inventory's boards", 2);
    }
    o.fleet = std::move(inv->pis);
    o.pis = static_cast<unsigned>(o.fleet.size());
    o.json_pis = true;
    return std::move(inv->notes);
}

}  // namespace rackboot::swarm
