#include "control/events/event_log.h"

#include <cstdio>
#include <ctime>
#include <string_view>

#include "dataplane/counters.h"
#include "proto/dhcp_codec.h"
#include "proto/dhcp_responder.h"
#include "proto/tftp_path.h"
#include "proto/tftp_transfer.h"

namespace rackboot::control {

namespace {

// Quotes a value for a key=value log: printable ASCII kept, '"' and '\\' escaped, the rest as \xNN.
std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u >= 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", u);
            out += hex;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string timestamp() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm utc{};
    gmtime_r(&ts.tv_sec, &utc);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &utc);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03ldZ", when, ts.tv_nsec / 1'000'000);
    return out;
}

}  // namespace

std::string format_dhcp(const dataplane::DhcpRecord& r) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "ts=%s event=dhcp type=%s mac=%s xid=0x%08x pi=%d result=%s", timestamp().c_str(),
                  std::string(to_string(r.type)).c_str(), r.mac.to_string().c_str(), r.xid, r.is_pi ? 1 : 0,
                  std::string(to_string(r.verdict)).c_str());
    std::string line = buf;
    if (r.model != 0) line += " model=" + std::to_string(r.model);
    if (r.serial) line += " serial=" + r.serial->to_string();
    if (!r.yiaddr.unset()) line += " yiaddr=" + r.yiaddr.to_string();
    if (!r.via.unset()) line += " relay=" + r.via.to_string();
    return line;
}

std::string format_transfer(const dataplane::TransferRecord& r) {
    const std::string ip = r.client_ip.to_string();
    std::string_view file(r.file);

    std::string quirks;
    for (unsigned q = 0; q < static_cast<unsigned>(dataplane::Quirk::count_); ++q) {
        if ((r.quirks & (1u << q)) == 0) continue;
        if (!quirks.empty()) quirks += ',';
        quirks += to_string(static_cast<dataplane::Quirk>(q));
    }
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "ts=%s event=tftp_transfer client=%s:%u file=%s result=%s bytes=%llu size=%llu "
                  "blksize=%u windowsize=%u duration_ms=%.3f retransmits=%u",
                  timestamp().c_str(), ip.c_str(), r.client_port, quoted(file).c_str(),
                  std::string(dataplane::result_name(r)).c_str(), static_cast<unsigned long long>(r.bytes),
                  static_cast<unsigned long long>(r.file_size), r.blksize, r.windowsize,
                  static_cast<double>(r.duration_ns) / 1e6, r.retransmits);
    std::string line = buf;
    // The board it resolved through, else the serial its path named; the client's MAC where the
    // backend saw it, else the MAC its path named.
    proto::BootPrefix prefix = proto::split_boot_prefix(file);
    if (r.serial) {
        line += " serial=" + r.serial->to_string();
    } else if (prefix.kind == proto::BootPrefix::Kind::Serial) {
        line += " serial=" + prefix.serial.to_string();
    }
    if (!r.client_mac.unset()) {
        line += " mac=" + r.client_mac.to_string();
    } else if (prefix.kind == proto::BootPrefix::Kind::Mac) {
        line += " mac=" + prefix.mac.to_string();
    }
    if (r.error_code != 0 || r.result == proto::TftpResult::Error) {
        line += " error_code=" + std::to_string(r.error_code);
    }
    if (!quirks.empty()) line += " quirks=" + quirks;
    line += " worker=" + std::to_string(r.worker);
    return line;
}

}  // namespace rackboot::control
