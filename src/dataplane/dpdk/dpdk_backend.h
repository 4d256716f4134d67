// The DPDK backend: EAL from the operator's arguments, one port (named with --port, or the only
// one), a TX queue per worker and RX queues spread by RSS on the IPv4 addresses where the port has
// it (frames handed between workers over SPSC rings where not), so a Pi's packets meet one worker;
// an mbuf pool sized from the configuration on the port's NUMA node, and a DpdkWorker per queue on
// its own registered thread. The backend owns the port's IPv4 address.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/backend.h"
#include "dataplane/boot_map.h"
#include "dataplane/dpdk/dpdk_worker.h"
#include "dataplane/worker_backend.h"
#include "proto/tftp_options.h"

namespace rackboot::dataplane {

class DpdkBackend final : public WorkerBackend<DpdkWorker> {
public:
    static std::unique_ptr<DpdkBackend> create(const BackendCommon& common, const DpdkOptions& opts,
                                               std::string& error);
    ~DpdkBackend() override;

    void start() override;
    [[nodiscard]] DhcpEngine* dhcp() noexcept override { return workers_.empty() ? nullptr : workers_[0]->dhcp(); }

private:
    DpdkBackend() = default;
    std::uint16_t port_ = 0;
    bool port_started_ = false;
    std::string port_name_;
    proto::MacAddr mac_{};
    struct rte_mempool* pool_ = nullptr;
    std::unique_ptr<HandoffRings> handoff_;  // workers point at it: the destructor ends them first
    GatewayMac gateway_mac_;
};

}  // namespace rackboot::dataplane
