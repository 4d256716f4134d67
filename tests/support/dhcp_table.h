// The DHCP cases as one table, like the TFTP one: each case is a description, the mode (proxy or
// full server), the requests a client sends (UDP payloads to port 67, from 0.0.0.0), every reply
// the server must send (exact bytes, written out from PI-BOOT.md, and where it goes) and the
// counters that must move. The same table runs against DhcpEngine over a fake transport and
// against a DpdkWorker serving DHCP over net_ring.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/counters.h"
#include "dataplane/dhcp_engine.h"
#include "dataplane/lease_journal.h"
#include "proto/dhcp_responder.h"
#include "support/dhcp_vectors.h"

namespace rackboot::test {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint32_t kDhcpServerIp = 0x0a000001;   // 10.0.0.1/24: the server in every case
constexpr std::uint32_t kDhcpPoolStart = 0x0a000064;  // 10.0.0.100-10.0.0.199 in server mode
constexpr std::uint32_t kDhcpPoolEnd = 0x0a0000c7;
constexpr std::uint32_t kDhcpLeaseTime = 600;

// Where a reply goes (RFC 2131 4.1): broadcast to 255.255.255.255:68, to a relay's giaddr on
// port 67, or to a client's own address on port 68.
struct DhcpSent {
    proto::DhcpReply::Dest dest = proto::DhcpReply::Dest::Broadcast;
    std::uint32_t dest_ip = 0;  // host order; 0 for broadcast
    Bytes payload;
};

struct DhcpCase {
    std::string description;
    proto::DhcpMode mode = proto::DhcpMode::Proxy;
    std::vector<Bytes> in;      // in order, each to port 67 from 0.0.0.0:68
    std::vector<DhcpSent> out;  // every reply, in order
    std::vector<std::pair<std::string, std::int64_t>> counters;
};

// The engine configuration every case runs with (server mode: the pool above, a router and DNS
// at the server, a 600 s lease; the journal is the runner's).
[[nodiscard]] dataplane::DhcpEngineConfig dhcp_table_config(proto::DhcpMode mode, dataplane::LeaseJournal* journal);

// A BOOTREPLY to `req` as PI-BOOT.md and RFC 2131 spell it: op 2, the request's htype, hlen,
// xid, flags, giaddr and chaddr, the given yiaddr and siaddr, the magic cookie, `options` in
// order, the end option, padded to 300 bytes.
[[nodiscard]] Bytes bootreply(const Bytes& req, std::uint32_t yiaddr, std::uint32_t siaddr,
                              const std::vector<Opt>& options);
// Option 43 as a Pi needs it: discovery control 3, a "PXE" prompt, and the "Raspberry Pi Boot   "
// menu item (with its three spaces).
[[nodiscard]] Bytes pi_vendor_options();

[[nodiscard]] const std::vector<DhcpCase>& dhcp_cases();

class DhcpHarness {
public:
    virtual ~DhcpHarness() = default;
    virtual void deliver(const Bytes& payload) = 0;
    // Sends replies whose leases became durable.
    virtual void poll() = 0;
    [[nodiscard]] virtual std::vector<DhcpSent> take_sent() = 0;
    [[nodiscard]] virtual const dataplane::WorkerCounters& counters() const = 0;
};

// Runs one case; the runner plays the lease store on `journal` (every change durable at once).
// Empty when everything matched, else what differed.
[[nodiscard]] std::string run_dhcp_case(const DhcpCase& c, DhcpHarness& h, dataplane::LeaseJournal& journal);

}  // namespace rackboot::test
