#include "control/api/board_import.h"

#include <cstdlib>
#include <sstream>

#include "proto/tftp_path.h"

namespace rackboot::control {

namespace {

std::string trim(const std::string& s) {
    std::size_t a = s.find_first_not_of(" \t\r");
    if (a == std::string::npos) return {};
    std::size_t b = s.find_last_not_of(" \t\r");
    return s.substr(a, b - a + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string part;
    std::istringstream in(s);
    while (std::getline(in, part, sep)) out.push_back(trim(part));
    return out;
}

bool fail(ImportParse& p, std::size_t line, std::string why) {
    p.error_line = line;
    p.error = std::move(why);
    p.entries.clear();
    return false;
}

bool nobodd_line(ImportParse& p, const std::string& line, std::size_t n) {
    if (line.front() == '[') {
        if (line.back() != ']') return fail(p, n, "a section header ends with ']'");
        std::string name = line.substr(1, line.size() - 2);
        if (name.rfind("board:", 0) != 0) {
            p.entries.push_back(ImportEntry{});  // another section: its keys are ignored
            p.entries.back().line = 0;
            return true;
        }
        ImportEntry e;
        e.line = n;
        std::optional<proto::Serial> serial = proto::Serial::parse_full(name.substr(6), &e.serial_full);
        if (!serial) return fail(p, n, "'" + name.substr(6) + "' is not a Pi serial (8 hex digits, or a Pi 5's 16)");
        e.serial = *serial;
        p.entries.push_back(e);
        return true;
    }
    std::size_t eq = line.find('=');
    if (eq == std::string::npos) return fail(p, n, "expected KEY = VALUE or a [section]");
    if (p.entries.empty()) return fail(p, n, "a key before any [board:SERIAL] section");
    ImportEntry& e = p.entries.back();
    if (e.line == 0) return true;  // in a section that is not a board
    std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (key == "image") {
        e.image_path = value;
    } else if (key == "ip") {
        std::optional<proto::Ipv4> ip = proto::Ipv4::parse(value);
        if (!ip || ip->unset()) return fail(p, n, "ip '" + value + "' is not an IPv4 address");
        e.ip = ip;
    } else if (key == "partition") {
        char* end = nullptr;
        unsigned long number = std::strtoul(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || number < 1 || number > 128) {
            return fail(p, n, "partition '" + value + "' is not a number from 1 to 128");
        }
        e.partition = static_cast<unsigned>(number);
    } else {
        return fail(p, n, "unknown key '" + key + "' (nobodd boards have image, partition and ip)");
    }
    return true;
}

bool dnsmasq_line(ImportParse& p, const std::string& line, std::size_t n) {
    if (line.rfind("dhcp-host=", 0) != 0) {
        return true;  // other dnsmasq options are not boards
    }
    ImportEntry e;
    e.line = n;
    for (const std::string& f : split(line.substr(10), ',')) {
        if (f.empty()) continue;
        if (std::optional<Mac> m = Mac::parse(f)) {
            e.macs.push_back(*m);
        } else if (auto ip = proto::Ipv4::parse(f); ip && !ip->unset()) {
            e.ip = ip;
        } else if (f.rfind("set:", 0) == 0 || f.rfind("tag:", 0) == 0 || f.rfind("id:", 0) == 0 || f == "ignore" ||
                   f == "infinite" || (f.find_first_not_of("0123456789hmsd") == std::string::npos)) {
            continue;  // tags, client ids, lease times: nothing a board holds
        } else if (e.name.empty()) {
            e.name = f;
        }
    }
    if (e.macs.empty()) return fail(p, n, "a dhcp-host line without a MAC address cannot name a board");
    p.entries.push_back(e);
    return true;
}

}  // namespace

ImportParse parse_board_import(const std::string& text) {
    ImportParse p;
    p.format = text.find("[board:") != std::string::npos      ? "nobodd"
               : text.find("dhcp-host=") != std::string::npos ? "dnsmasq"
                                                              : "";
    if (p.format.empty()) {
        fail(p, 1, "neither a nobodd INI ([board:SERIAL] sections) nor dnsmasq dhcp-host lines");
        return p;
    }
    std::istringstream in(text);
    std::string raw;
    std::size_t n = 0;
    while (std::getline(in, raw)) {
        ++n;
        std::string line = trim(raw);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        bool ok = p.format == "nobodd" ? nobodd_line(p, line, n) : dnsmasq_line(p, line, n);
        if (!ok) return p;
    }
    std::erase_if(p.entries, [](const ImportEntry& e) { return e.line == 0; });
    return p;
}

}  // namespace rackboot::control
