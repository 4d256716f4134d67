// rte_dev_dma_map/unmap are still marked experimental in DPDK 22.11 (present since 19.05).
#define ALLOW_EXPERIMENTAL_API 1

#include "dataplane/dpdk/port/dpdk_dma.h"

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_memory.h>
#include <unistd.h>

#include <cstdint>

namespace rackboot::dataplane {

proto::Result<std::unique_ptr<DmaRegion>> DmaRegion::create(std::uint16_t port, void* addr, std::size_t len) {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::string what = "the block cache (" + std::to_string(len >> 20) + " MiB)";
    if (addr == nullptr || len == 0 || reinterpret_cast<std::uintptr_t>(addr) % page != 0 || len % page != 0) {
        return proto::failure("cannot register " + what + " for DMA: not whole pages");
    }
    // No IOVA table: with IOVA as VA the NIC addresses the memory by its virtual address.
    if (rte_extmem_register(addr, len, nullptr, 0, page) != 0) {
        return proto::failure("cannot register " + what + " with DPDK for DMA: " + rte_strerror(rte_errno));
    }
    std::unique_ptr<DmaRegion> r(new DmaRegion(addr, len));
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port, &info) != 0 || info.device == nullptr) return r;  // a port with no bus device
    if (rte_dev_dma_map(info.device, addr, reinterpret_cast<std::uintptr_t>(addr), len) == 0) {
        r->device_ = info.device;
    } else if (rte_errno != ENOTSUP) {  // (r's destructor unregisters it)
        return proto::failure("cannot map " + what + " for DMA by " + rte_dev_name(info.device) + ": " +
                              rte_strerror(rte_errno) +
                              " (the IOMMU pins it: raise the locked-memory limit, e.g. LimitMEMLOCK=infinity)");
    }
    return r;
}

DmaRegion::~DmaRegion() {
    if (device_ != nullptr) rte_dev_dma_unmap(device_, addr_, reinterpret_cast<std::uintptr_t>(addr_), len_);
    rte_extmem_unregister(addr_, len_);
}

}  // namespace rackboot::dataplane
