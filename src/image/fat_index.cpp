#include "image/fat_index.h"

#include <algorithm>
#include <array>
#include <unordered_set>

#include "image/fat_directory.h"

namespace rackboot::image {

namespace {

constexpr unsigned kMaxDepth = 32;
constexpr std::size_t kMaxEntries = 200000;
constexpr std::uint64_t kMaxDirectoryBytes = std::uint64_t{65536} * 32;  // FAT's own limit on entries

}  // namespace

std::string fold_path(std::string_view path) {
    std::string out(path);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// Walks the volume's tree once, claiming every cluster for the one file or directory whose chain
// holds it.
class IndexBuilder {
public:
    IndexBuilder(const FatVolume& volume, FatIndex& index)
        : volume_(volume), index_(index), owners_(std::size_t{volume.geometry().cluster_count} + 2, 0) {}

    proto::Result<> run() {
        const FatGeometry& geo = volume_.geometry();
        std::vector<std::uint8_t> root;
        if (geo.type == FatType::fat32) {
            auto chain = claim_chain(geo.root_cluster, kRootId, "/", std::nullopt);
            if (!chain) return tl::unexpected(chain.error());
            auto bytes = read_clusters(*chain);
            if (!bytes) return tl::unexpected(bytes.error());
            root = std::move(*bytes);
        } else {
            root.resize(std::size_t{geo.root_entries} * 32);
            if (auto ok = volume_.image().read_at(geo.root_offset, root); !ok) return ok;
        }
        return walk(root, "", 0);
    }

private:
    proto::Result<> walk(std::span<const std::uint8_t> bytes, const std::string& dir, unsigned depth) {
        bool fat32 = volume_.geometry().type == FatType::fat32;
        DirListing listing = parse_directory(bytes, fat32);
        index_.unreadable_names_ += listing.unreadable_names;
        for (DirEntry& e : listing.entries) {
            std::string path = dir.empty() ? e.name : dir + "/" + e.name;
            if (names_.size() >= kMaxEntries) return proto::failure("more than 200,000 files and directories");
            if (auto ok = note_name(path); !ok) return ok;
            if (e.directory) {
                if (depth + 1 >= kMaxDepth) return proto::failure(path + ": directories nested deeper than 32");
                if (e.first_cluster == 0) return proto::failure(path + ": a directory without clusters");
                auto chain = claim_chain(e.first_cluster, last_id(), path, std::nullopt);
                if (!chain) return tl::unexpected(chain.error());
                auto sub = read_clusters(*chain);
                if (!sub) return tl::unexpected(sub.error());
                ++index_.directories_;
                if (auto ok = walk(*sub, path, depth + 1); !ok) return ok;
                continue;
            }
            if (auto ok = add_file(std::move(path), e); !ok) return ok;
        }
        return {};
    }

    proto::Result<> note_name(const std::string& path) {
        names_.push_back(path);
        if (!folded_.insert(fold_path(path)).second) {
            return proto::failure(path + ": two names in one directory differ only in case (a damaged directory)");
        }
        return {};
    }

    proto::Result<> add_file(std::string path, const DirEntry& e) {
        IndexedFile file{std::move(path), e.size, {}};
        if (e.size > 0) {
            if (e.first_cluster == 0)
                return proto::failure(file.path + ": " + std::to_string(e.size) + " bytes but no cluster");
            std::uint64_t cluster = volume_.geometry().cluster_bytes;
            auto need = static_cast<std::uint32_t>((e.size + cluster - 1) / cluster);
            auto chain = claim_chain(e.first_cluster, last_id(), file.path, need);
            if (!chain) return tl::unexpected(chain.error());
            std::uint64_t left = e.size;
            for (std::uint32_t i = 0; i < need; ++i) {
                std::uint64_t at = volume_.cluster_offset((*chain)[i]);
                std::uint64_t len = std::min(left, cluster);
                if (!file.extents.empty() && file.extents.back().offset + file.extents.back().length == at) {
                    file.extents.back().length += len;
                } else {
                    file.extents.push_back({at, len});
                }
                left -= len;
            }
        }
        index_.by_folded_.emplace(fold_path(file.path), index_.files_.size());
        index_.files_.push_back(std::move(file));
        return {};
    }

    // Follows a chain from first, claiming each cluster; need: the clusters its file's size needs.
    proto::Result<std::vector<std::uint32_t>> claim_chain(std::uint32_t first, std::uint32_t id,
                                                          const std::string& path, std::optional<std::uint32_t> need) {
        std::vector<std::uint32_t> chain;
        std::uint32_t c = first;
        auto where = [&](std::uint32_t at) { return path + ": cluster " + std::to_string(at); };
        for (;;) {
            if (!volume_.valid_cluster(c)) return proto::failure(where(c) + " lies outside the volume");
            std::uint32_t owner = owners_[c];
            if (owner == id) return proto::failure(where(c) + " comes twice: its cluster chain loops");
            if (owner != 0) {
                return proto::failure(where(c) + " is also " + owner_name(owner) + "'s (cross-linked chains)");
            }
            owners_[c] = id;
            chain.push_back(c);
            std::uint32_t v = volume_.next(c);
            if (volume_.end_of_chain(v)) break;
            if (volume_.bad_cluster(v)) return proto::failure(where(c) + " leads to a cluster marked bad");
            if (v == 0) return proto::failure(where(c) + " leads to a free cluster");
            c = v;
        }
        if (need && chain.size() < *need) {
            return proto::failure(path + ": its cluster chain ends after " + std::to_string(chain.size()) +
                                  " clusters; its size needs " + std::to_string(*need));
        }
        if (!need && chain.size() * std::uint64_t{volume_.geometry().cluster_bytes} > kMaxDirectoryBytes) {
            return proto::failure(path + ": a directory of more than 65,536 entries");
        }
        return chain;
    }

    // Owners: 0 free, kRootId the FAT32 root directory, 2 + i the path names_[i].
    static constexpr std::uint32_t kRootId = 1;
    [[nodiscard]] std::uint32_t last_id() const { return static_cast<std::uint32_t>(names_.size() + 1); }
    [[nodiscard]] std::string owner_name(std::uint32_t id) const { return id == kRootId ? "/" : names_[id - 2]; }

    proto::Result<std::vector<std::uint8_t>> read_clusters(const std::vector<std::uint32_t>& chain) {
        std::uint32_t cluster = volume_.geometry().cluster_bytes;
        std::vector<std::uint8_t> bytes(chain.size() * std::size_t{cluster});
        for (std::size_t i = 0; i < chain.size(); ++i) {
            std::span<std::uint8_t> out(bytes.data() + i * cluster, cluster);
            if (auto ok = volume_.image().read_at(volume_.cluster_offset(chain[i]), out); !ok) {
                return tl::unexpected(ok.error());
            }
        }
        return bytes;
    }

    const FatVolume& volume_;
    FatIndex& index_;
    std::vector<std::uint32_t> owners_;  // by cluster
    std::vector<std::string> names_;     // every file and directory, in walk order
    std::unordered_set<std::string> folded_;
};

proto::Result<FatIndex> FatIndex::build(const ByteSource& image, std::optional<unsigned> partition) {
    auto table = read_partition_table(image);
    if (!table) return tl::unexpected(table.error());
    auto chosen = boot_partition(*table, partition);
    if (!chosen) return tl::unexpected(chosen.error());
    auto volume = FatVolume::open(image, *chosen);
    if (!volume) return tl::unexpected(volume.error());
    FatIndex index;
    index.partition_ = *chosen;
    index.table_ = table->kind;
    index.type_ = volume->geometry().type;
    IndexBuilder builder(*volume, index);
    if (auto ok = builder.run(); !ok) return tl::unexpected(ok.error());
    return index;
}

const IndexedFile* FatIndex::find(std::string_view path) const noexcept {
    if (path.size() > kMaxLookup) return nullptr;
    std::array<char, kMaxLookup> folded;
    for (std::size_t i = 0; i < path.size(); ++i) {
        char c = path[i];
        folded[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    auto it = by_folded_.find(std::string_view(folded.data(), path.size()));
    return it == by_folded_.end() ? nullptr : &files_[it->second];
}

}  // namespace rackboot::image
