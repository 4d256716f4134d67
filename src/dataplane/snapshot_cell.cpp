#include "dataplane/snapshot_cell.h"

namespace rackboot::dataplane {

EpochDomain::EpochDomain(unsigned readers) : slots_(new Slot[readers]), readers_(readers) {
}

std::uint64_t EpochDomain::start() noexcept {
    // seq_cst: the new map's store (before this call) is ordered before the token readers see.
    return token_.fetch_add(1, std::memory_order_seq_cst) + 1;
}

bool EpochDomain::check(std::uint64_t token) noexcept {
    for (unsigned i = 0; i < readers_; ++i) {
        std::uint64_t seen = slots_[i].seen.load(std::memory_order_acquire);
        if (seen != kOffline && seen < token) return false;
    }
    return true;
}

void EpochDomain::offline(unsigned reader) noexcept {
    slots_[reader].seen.store(kOffline, std::memory_order_release);
}

void EpochDomain::online(unsigned reader) noexcept {
    // Joins at the current token, then fences so its later reads of the map come after.
    slots_[reader].seen.store(token_.load(std::memory_order_acquire), std::memory_order_seq_cst);
}

BootMapCell::BootMapCell(std::unique_ptr<QuiescentDomain> domain, std::unique_ptr<const BootMap> initial)
    : domain_(std::move(domain)), current_(initial.release()) {
}

BootMapCell::~BootMapCell() {
    // Workers have stopped: nothing reads any more.
    for (const Retired& r : retired_) delete r.map;
    delete current_.load();
}

void BootMapCell::publish(std::unique_ptr<const BootMap> next) {
    std::lock_guard lock(writer_);
    const BootMap* old = current_.exchange(next.release(), std::memory_order_acq_rel);
    retired_.push_back({old, domain_->start()});
}

std::size_t BootMapCell::reclaim() {
    std::lock_guard lock(writer_);
    while (!retired_.empty() && domain_->check(retired_.front().token)) {
        delete retired_.front().map;
        retired_.pop_front();
    }
    return retired_.size();
}

proto::Result<std::unique_ptr<BootMapCell>> static_boot_map_cell(const std::string& root,
                                                                 const std::vector<BoardTreeSpec>& boards,
                                                                 unsigned readers) {
    auto map = static_boot_map(root, boards);
    if (!map) return tl::unexpected(map.error());
    return std::make_unique<BootMapCell>(std::make_unique<EpochDomain>(readers), std::move(*map));
}

}  // namespace rackboot::dataplane
