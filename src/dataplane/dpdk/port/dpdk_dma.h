// Block-cache memory made readable by a NIC: zero-copy DATA segments point into the block cache's
// arena, which is ordinary process memory, not DPDK's. With IOVA as VA (vfio-pci behind an IOMMU,
// and every virtual device) the arena is registered with DPDK as external memory and mapped for
// the port's device, so the IOMMU lets the NIC read it at its virtual address; both are undone on
// destruction. (With IOVA as PA the backend copies DATA into pool mbufs instead: the arena's
// 4 KiB pages are not physically contiguous.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "proto/result.h"

struct rte_device;

namespace rackboot::dataplane {

class DmaRegion {
public:
    // Registers [addr, addr + len) (page-aligned, whole pages) and maps it for `port`'s device.
    // Or says why it could not.
    [[nodiscard]] static proto::Result<std::unique_ptr<DmaRegion>> create(std::uint16_t port, void* addr,
                                                                          std::size_t len);
    ~DmaRegion();
    DmaRegion(const DmaRegion&) = delete;
    DmaRegion& operator=(const DmaRegion&) = delete;

    // Whether the device's bus mapped it (PCI, vdevs); false where the bus has no DMA mapping
    // (the memory is only registered, which is all such a device needs).
    [[nodiscard]] bool mapped() const noexcept { return device_ != nullptr; }
    [[nodiscard]] void* addr() const noexcept { return addr_; }
    [[nodiscard]] std::size_t length() const noexcept { return len_; }

private:
    DmaRegion(void* addr, std::size_t len) : addr_(addr), len_(len) {}
    void* addr_;
    std::size_t len_;
    rte_device* device_ = nullptr;
};

}  // namespace rackboot::dataplane
