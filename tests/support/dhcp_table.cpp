#include "support/dhcp_table.h"

#include <map>
#include <sstream>

namespace rackboot::test {

namespace {

std::map<std::string, std::int64_t> snapshot(const dataplane::WorkerCounters& c) {
    std::map<std::string, std::int64_t> out;
    dataplane::for_each_counter(c, [&](std::string_view name, std::uint64_t v) {
        out.emplace(std::string(name), static_cast<std::int64_t>(v));
    });
    return out;
}

std::string show(const DhcpSent& s) {
    static const char* kDest[] = {"broadcast", "relay", "client"};
    std::ostringstream o;
    o << "  " << kDest[static_cast<int>(s.dest)] << ' ' << std::hex << s.dest_ip << std::dec << ' ' << s.payload.size()
      << " bytes: ";
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::uint8_t b : s.payload) o << kHex[b >> 4] << kHex[b & 15];
    return o.str();
}

}  // namespace

dataplane::DhcpEngineConfig dhcp_table_config(proto::DhcpMode mode, dataplane::LeaseJournal* journal) {
    dataplane::DhcpEngineConfig c;
    c.responder = {mode, proto::default_pi_ouis(), {}, {}};
    if (mode == proto::DhcpMode::Server) {
        c.leases.subnet = proto::Ipv4(kDhcpServerIp & 0xffffff00u);
        c.leases.prefix = 24;
        c.leases.pool_start = proto::Ipv4(kDhcpPoolStart);
        c.leases.pool_end = proto::Ipv4(kDhcpPoolEnd);
        c.leases.server_ip = proto::Ipv4(kDhcpServerIp);
        c.leases.lease_time = kDhcpLeaseTime;
        c.server.router = proto::Ipv4(kDhcpServerIp);
        c.server.dns = {proto::Ipv4(kDhcpServerIp)};
        c.journal = journal;
    }
    return c;
}

Bytes bootreply(const Bytes& req, std::uint32_t yiaddr, std::uint32_t siaddr, const std::vector<Opt>& options) {
    Bytes p(236, 0);
    p[0] = 2;
    p[1] = req[1];
    p[2] = req[2];
    std::copy(req.begin() + 4, req.begin() + 8, p.begin() + 4);     // xid
    std::copy(req.begin() + 10, req.begin() + 12, p.begin() + 10);  // flags
    for (int i = 0; i < 4; ++i) p[16 + i] = static_cast<std::uint8_t>(yiaddr >> (24 - 8 * i));
    for (int i = 0; i < 4; ++i) p[20 + i] = static_cast<std::uint8_t>(siaddr >> (24 - 8 * i));
    std::copy(req.begin() + 24, req.begin() + 44, p.begin() + 24);  // giaddr, chaddr
    for (int b : {0x63, 0x82, 0x53, 0x63}) p.push_back(static_cast<std::uint8_t>(b));
    for (const auto& [code, data] : options) {
        p.push_back(code);
        p.push_back(static_cast<std::uint8_t>(data.size()));
        p.insert(p.end(), data.begin(), data.end());
    }
    p.push_back(0xff);
    if (p.size() < 300) p.resize(300, 0);
    return p;
}

Bytes pi_vendor_options() {
    Bytes o = {6, 1, 3, 10, 4, 0, 'P', 'X', 'E', 9, 23, 0, 0, 20};
    for (char c : std::string("Raspberry Pi Boot   ")) o.push_back(static_cast<std::uint8_t>(c));
    o.push_back(0xff);
    return o;
}

std::string run_dhcp_case(const DhcpCase& c, DhcpHarness& h, dataplane::LeaseJournal& journal) {
    std::ostringstream err;
    auto before = snapshot(h.counters());
    std::vector<DhcpSent> seen;
    for (const Bytes& in : c.in) {
        h.deliver(in);
        std::vector<DhcpSent> early = h.take_sent();
        // Play the lease store: what the worker journalled becomes durable only now, and no reply
        // that depends on it may have left before.
        dataplane::LeaseChange change;
        std::uint64_t last = 0;
        while (journal.pop(change)) last = change.seq;
        if (last != 0 && !early.empty()) err << "a reply left before its lease change was durable\n";
        for (DhcpSent& s : early) seen.push_back(std::move(s));
        if (last != 0) journal.publish(last);
        h.poll();
        for (DhcpSent& s : h.take_sent()) seen.push_back(std::move(s));
    }
    bool match = seen.size() == c.out.size();
    for (std::size_t i = 0; match && i < seen.size(); ++i) {
        match =
            seen[i].dest == c.out[i].dest && seen[i].dest_ip == c.out[i].dest_ip && seen[i].payload == c.out[i].payload;
    }
    if (!match) {
        err << "replies differ\n expected:\n";
        for (const DhcpSent& s : c.out) err << show(s) << '\n';
        err << " sent:\n";
        for (const DhcpSent& s : seen) err << show(s) << '\n';
    }
    auto after = snapshot(h.counters());
    for (const auto& [name, delta] : c.counters) {
        auto a = after.find(name);
        if (a == after.end()) {
            err << "no counter named " << name << '\n';
            continue;
        }
        std::int64_t got = a->second - before[name];
        if (got != delta) err << "counter " << name << " moved by " << got << ", expected " << delta << '\n';
    }
    return err.str();
}

}  // namespace rackboot::test
