#include "support/tftp_table_runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>

#include "proto/tftp_codec.h"

namespace rackboot::test {

namespace {

using proto::kMillisecond;
using proto::Nanos;

struct Seen {
    std::uint32_t at_ms;
    std::uint16_t client_port;
    int server;
    Bytes payload;
};

std::map<std::string, std::int64_t> snapshot(const dataplane::WorkerCounters& c) {
    std::map<std::string, std::int64_t> out;
    dataplane::for_each_counter(c, [&](std::string_view name, std::uint64_t v) {
        out.emplace(std::string(name), static_cast<std::int64_t>(v));
    });
    return out;
}

std::string describe(const Bytes& p) {
    // What the datagram is, read with the server's own parser, then its bytes when short.
    std::ostringstream o;
    proto::TftpPacket pkt;
    if (proto::parse_tftp(p, pkt) == proto::TftpParseError::none) {
        switch (pkt.opcode) {
            case proto::TftpOpcode::Rrq:
            case proto::TftpOpcode::Wrq:
                o << (pkt.opcode == proto::TftpOpcode::Rrq ? "RRQ " : "WRQ ") << pkt.filename;
                break;
            case proto::TftpOpcode::Data: o << "DATA " << pkt.block << " (" << pkt.payload.size() << " bytes)"; break;
            case proto::TftpOpcode::Ack: o << "ACK " << pkt.block; break;
            case proto::TftpOpcode::Error:
                o << "ERROR " << static_cast<unsigned>(pkt.error_code) << " \"" << pkt.error_message << '"';
                break;
            case proto::TftpOpcode::Oack: o << "OACK"; break;
        }
        for (std::size_t i = 0; i < pkt.options.count; ++i)
            o << ' ' << pkt.options.items[i].name << '=' << pkt.options.items[i].value;
    } else {
        o << "(not TFTP)";
    }
    if (p.size() <= 48) o << " [" << to_hex(p) << ']';
    return o.str();
}

std::string show(std::uint32_t at_ms, std::uint16_t client_port, int server, const Bytes& payload) {
    std::ostringstream o;
    o << "  t=" << at_ms << "ms client:" << client_port << ' '
      << (server == kListen ? "server:69" : "tid#" + std::to_string(server)) << ' ' << describe(payload);
    return o.str();
}

}  // namespace

TableTree::TableTree(const std::string& tag)
    : dir(std::filesystem::temp_directory_path() / ("rb-table-" + tag + "-" + std::to_string(getpid()))) {
    std::filesystem::create_directories(dir);
    write_boot_tree(dir);
    auto made = dataplane::static_boot_map_cell(dir.string(), {}, 64);
    if (made) {
        trees = std::move(*made);
    } else {
        error = made.error().reason;
    }
}

TableTree::~TableTree() {
    trees.reset();
    std::filesystem::remove_all(dir);
}

void apply_case_settings(const TftpCase& c, dataplane::TftpServiceConfig& cfg) {
    const TftpAdmission& a = c.admission;
    cfg.admission.enabled = a.enabled;
    cfg.admission.target = static_cast<Nanos>(a.target_ms) * proto::kMillisecond;
    cfg.admission.file_timeout = static_cast<Nanos>(a.file_timeout_ms) * proto::kMillisecond;
    cfg.admission.floor = a.floor;
    cfg.admission.unmeasured = a.unmeasured;
    cfg.limits.min_rto = static_cast<Nanos>(c.min_rto_ms) * proto::kMillisecond;
    cfg.limits.loss_rto = static_cast<Nanos>(c.loss_rto_ms) * proto::kMillisecond;
}

std::string run_tftp_case(const TftpCase& c, TftpHarness& h, Nanos start) {
    std::ostringstream err;
    // A transfer is both its ends: a backend may give a later transfer the port of one that ended
    // (the DPDK worker's TIDs are slots of its range), so a TID index names (server, client) port.
    std::vector<std::pair<std::uint16_t, std::uint16_t>> tids;
    std::vector<Seen> seen;
    Nanos now = start;
    (void)h.take_sent();
    auto before = snapshot(h.counters());

    auto collect = [&] {
        for (TftpSent& s : h.take_sent()) {
            int server = kListen;
            if (s.server_port != TftpHarness::kWellKnownPort) {
                auto key = std::pair{s.server_port, s.client_port};
                auto it = std::find(tids.begin(), tids.end(), key);
                server = static_cast<int>(it - tids.begin());
                if (it == tids.end()) tids.push_back(key);
            }
            seen.push_back({static_cast<std::uint32_t>((now - start) / kMillisecond), s.client_port, server,
                            std::move(s.payload)});
        }
    };
    // Polls at the current instant until the disk has answered everything asked of it.
    auto settle = [&] {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        h.poll(now);
        collect();
        while (h.waiting_on_disk() > 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                err << "the disk did not answer within 10 s (real time) at t=" << (now - start) / kMillisecond
                    << "ms\n";
                return false;
            }
            usleep(50);
            h.poll(now);
            collect();
        }
        return true;
    };
    // Moves the clock to `until`, stopping where timers may fire: the wheel names the start of
    // the tick that holds its next deadline; from there the clock steps a millisecond at a time
    // until the timer has fired, so a retransmit leaves within a millisecond of its deadline.
    auto advance = [&](Nanos until) {
        for (int guard = 0; guard < 1'000'000; ++guard) {
            Nanos d = h.next_deadline();
            if (d < 0 || d > until) break;
            if (d > now) {
                now = d;
            } else if (now + kMillisecond <= until) {
                now += kMillisecond;
            } else {
                break;
            }
            if (!settle()) return false;
        }
        now = std::max(now, until);
        return settle();
    };

    std::vector<const TftpIn*> inputs;
    for (const TftpIn& i : c.in) inputs.push_back(&i);
    std::stable_sort(inputs.begin(), inputs.end(),
                     [](const TftpIn* a, const TftpIn* b) { return a->at_ms < b->at_ms; });
    bool ok = settle();
    for (const TftpIn* in : inputs) {
        if (!ok) break;
        ok = advance(start + static_cast<Nanos>(in->at_ms) * kMillisecond);
        if (!ok) break;
        std::uint16_t port = TftpHarness::kWellKnownPort;
        if (in->server != kListen) {
            if (in->server >= static_cast<int>(tids.size())) {
                err << "input at t=" << in->at_ms << "ms goes to tid#" << in->server
                    << ", which the server never opened\n";
                ok = false;
                break;
            }
            port = tids[static_cast<std::size_t>(in->server)].first;
        }
        h.deliver(in->client_port, port, in->payload, now);
        ok = settle();
    }
    if (ok) ok = advance(start + static_cast<Nanos>(c.run_ms) * kMillisecond);

    // Every datagram, in order.
    bool match = seen.size() == c.out.size();
    for (std::size_t i = 0; match && i < seen.size(); ++i) {
        const TftpOut& want = c.out[i];
        const Seen& got = seen[i];
        // advance() lands up to a millisecond after each deadline, and a retransmit's next
        // deadline counts from when it left: allow that drift over a few retransmits.
        constexpr std::int32_t kDriftMs = 20;
        match = got.client_port == want.client_port && got.server == want.server && got.payload == want.payload &&
                (want.at_ms < 0 || (static_cast<std::int32_t>(got.at_ms) >= want.at_ms &&
                                    static_cast<std::int32_t>(got.at_ms) <= want.at_ms + kDriftMs));
    }
    if (!match) {
        err << "datagrams differ\n expected:\n";
        for (const TftpOut& o : c.out)
            err << show(o.at_ms < 0 ? 0 : static_cast<std::uint32_t>(o.at_ms), o.client_port, o.server, o.payload)
                << (o.at_ms < 0 ? " (any time)" : "") << '\n';
        err << " sent:\n";
        for (const Seen& s : seen) err << show(s.at_ms, s.client_port, s.server, s.payload) << '\n';
    }
    auto after = snapshot(h.counters());
    for (const auto& [name, delta] : c.counters) {
        auto b = before.find(name);
        auto a = after.find(name);
        if (a == after.end()) {
            err << "no counter named " << name << '\n';
            continue;
        }
        std::int64_t got = a->second - b->second;
        if (got != delta) err << "counter " << name << " moved by " << got << ", expected " << delta << '\n';
    }
    if (!err.str().empty()) {
        err << " inputs:\n";
        for (const TftpIn* in : inputs) err << show(in->at_ms, in->client_port, in->server, in->payload) << '\n';
    }
    return err.str();
}

}  // namespace rackboot::test
