// A read-only hash table split into shards that successive versions share (issue 20: a change
// costs what it changes). Each shard is an immutable open-addressing table (linear probing, at
// most half full) built once from its entries; a table is a vector of shared pointers to shards,
// indexed by high bits of the key's hash. A new version copies the vector (a pointer per shard)
// and rebuilds only the shards its edits touch, so one board's change to a map of a million
// boards rebuilds three shards of a few hundred entries, not the map. Readers (the workers) only
// find(); versions are built and freed on the control thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "proto/flat_index.h"

namespace rackboot::dataplane {

template <class Value>
class FrozenShard {
public:
    static constexpr std::uint64_t kEmpty = UINT64_MAX;  // no key used here is this
    struct Slot {
        std::uint64_t key = kEmpty;
        Value value{};
    };

    // `entries` with distinct keys (none kEmpty).
    explicit FrozenShard(std::span<const Slot> entries) {
        std::size_t cap = 4;
        while (cap < entries.size() * 2) cap <<= 1;
        slots_.resize(cap);
        mask_ = cap - 1;
        for (const Slot& e : entries) {
            std::size_t i = home(e.key);
            while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
            slots_[i] = e;
        }
        size_ = entries.size();
    }

    [[nodiscard]] const Value* find(std::uint64_t key) const noexcept {
        for (std::size_t i = home(key);; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.key == key) return &s.value;
            if (s.key == kEmpty) return nullptr;
        }
    }
    // Every entry, in table order.
    template <class F>
    void each(F&& f) const {
        for (const Slot& s : slots_) {
            if (s.key != kEmpty) f(s);
        }
    }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t memory_bytes() const noexcept { return sizeof(*this) + slots_.capacity() * sizeof(Slot); }

private:
    [[nodiscard]] std::size_t home(std::uint64_t key) const noexcept {
        return static_cast<std::size_t>(proto::mix64(key)) & mask_;
    }
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
};

template <class Value>
class ShardedTable {
public:
    using Shard = FrozenShard<Value>;
    using Slot = typename Shard::Slot;

    ShardedTable() : shards_(1) {}
    // `shards` a power of two.
    explicit ShardedTable(std::size_t shards) : shards_(shards), mask_(shards - 1) {}

    [[nodiscard]] const Value* find(std::uint64_t key) const noexcept {
        const Shard* s = shards_[shard_of(key)].get();
        return s == nullptr ? nullptr : s->find(key);
    }
    [[nodiscard]] std::size_t shard_of(std::uint64_t key) const noexcept {
        // High bits: the shard's own table probes from the low ones.
        return static_cast<std::size_t>(proto::mix64(key) >> 40) & mask_;
    }
    [[nodiscard]] std::size_t shards() const noexcept { return shards_.size(); }
    [[nodiscard]] const std::shared_ptr<const Shard>& shard(std::size_t i) const noexcept { return shards_[i]; }
    void set_shard(std::size_t i, std::shared_ptr<const Shard> s) { shards_[i] = std::move(s); }
    [[nodiscard]] std::size_t size() const noexcept {
        std::size_t n = 0;
        for (const auto& s : shards_) n += s ? s->size() : 0;
        return n;
    }
    // This version's bytes: its shard pointers, and the shards (shared ones too).
    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        std::size_t n = shards_.capacity() * sizeof(shards_[0]);
        for (const auto& s : shards_) n += s ? s->memory_bytes() : 0;
        return n;
    }

    // Shards this table holds that `other` holds too (the same shard, shared).
    [[nodiscard]] std::size_t shared_with(const ShardedTable& other) const noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i < shards_.size() && i < other.shards_.size(); ++i) {
            n += shards_[i] && shards_[i] == other.shards_[i] ? 1 : 0;
        }
        return n;
    }

    // Fills every shard from `entries`; a key given twice keeps the later value. One pass to count
    // each shard's entries, one to place them (in order), then each shard's run built alone.
    void fill(const std::vector<Slot>& entries) {
        std::vector<std::size_t> start(shards_.size() + 1, 0);
        for (const Slot& e : entries) ++start[shard_of(e.key) + 1];
        for (std::size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
        std::vector<Slot> placed(entries.size());
        std::vector<std::size_t> next(start.begin(), start.end() - 1);
        for (const Slot& e : entries) placed[next[shard_of(e.key)]++] = e;
        for (std::size_t i = 0; i < shards_.size(); ++i) {
            auto first = placed.begin() + static_cast<std::ptrdiff_t>(start[i]);
            auto last = placed.begin() + static_cast<std::ptrdiff_t>(start[i + 1]);
            std::stable_sort(first, last, [](const Slot& a, const Slot& b) { return a.key < b.key; });
            auto out = first;
            for (auto it = first; it != last; ++it) {
                if (it + 1 != last && (it + 1)->key == it->key) continue;  // the later one is kept
                *out++ = *it;
            }
            shards_[i] = out == first ? nullptr
                                      : std::make_shared<const Shard>(
                                            std::span<const Slot>(&*first, static_cast<std::size_t>(out - first)));
        }
    }

    // Edits to a copy of a table: puts and erasures collected, then applied shard by shard.
    class Edit {
    public:
        void put(std::uint64_t key, const Value& v) { ops_[key] = v; }
        void erase(std::uint64_t key) { ops_[key] = std::nullopt; }
        // Rebuilds the shards of `table` that the edits touch; the rest stay shared.
        void apply(ShardedTable& table) const {
            std::unordered_map<std::size_t, std::vector<std::pair<std::uint64_t, const std::optional<Value>*>>> touched;
            for (const auto& [key, op] : ops_) touched[table.shard_of(key)].emplace_back(key, &op);
            for (auto& [i, ops] : touched) {
                if (!table.shards_[i]) {
                    // Nothing to merge with (a new table): its puts as they are.
                    std::vector<Slot> entries;
                    entries.reserve(ops.size());
                    for (const auto& [key, op] : ops) {
                        if (op->has_value()) entries.push_back(Slot{key, **op});
                    }
                    if (!entries.empty()) table.shards_[i] = std::make_shared<const Shard>(entries);
                    continue;
                }
                const auto& old = table.shards_[i];
                // Edits that change nothing (an owner put again) leave the shard shared.
                bool changes = false;
                for (const auto& [key, op] : ops) {
                    const Value* held = old->find(key);
                    changes = changes || (op->has_value() ? held == nullptr || !(*held == **op) : held != nullptr);
                }
                if (!changes) continue;
                std::unordered_map<std::uint64_t, Value> merged;
                merged.reserve(old->size() + ops.size());
                old->each([&](const Slot& s) { merged.emplace(s.key, s.value); });
                for (const auto& [key, op] : ops) {
                    if (op->has_value()) {
                        merged[key] = **op;
                    } else {
                        merged.erase(key);
                    }
                }
                std::vector<Slot> entries;
                entries.reserve(merged.size());
                for (const auto& [key, v] : merged) entries.push_back(Slot{key, v});
                table.shards_[i] = entries.empty() ? nullptr : std::make_shared<const Shard>(entries);
            }
        }

    private:
        std::unordered_map<std::uint64_t, std::optional<Value>> ops_;
    };

private:
    std::vector<std::shared_ptr<const Shard>> shards_;
    std::size_t mask_ = 0;
};

// Shards for `entries` entries: about 64 each (a rebuilt shard is a few kilobytes), at least one.
[[nodiscard]] inline std::size_t shards_for(std::size_t entries) noexcept {
    std::size_t n = 1;
    while (n * 64 < entries && n < (std::size_t{1} << 20)) n <<= 1;
    return n;
}

}  // namespace rackboot::dataplane
