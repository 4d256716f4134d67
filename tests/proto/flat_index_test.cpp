#include "proto/flat_index.h"

#include <map>
#include <random>

#include <gtest/gtest.h>

namespace rackboot::proto {
namespace {

TEST(FlatIndex, PutFindErase) {
    FlatIndex idx(8);
    EXPECT_EQ(idx.find(1), FlatIndex::kNone);
    EXPECT_TRUE(idx.put(1, 10));
    EXPECT_TRUE(idx.put(2, 20));
    EXPECT_EQ(idx.find(1), 10u);
    EXPECT_TRUE(idx.put(1, 11));  // overwrite
    EXPECT_EQ(idx.find(1), 11u);
    idx.erase_if(1, 10);  // not the owner any more: left alone
    EXPECT_EQ(idx.find(1), 11u);
    idx.erase_if(1, 11);
    EXPECT_EQ(idx.find(1), FlatIndex::kNone);
    EXPECT_EQ(idx.size(), 1u);
}

TEST(FlatIndex, MatchesAReferenceMapUnderChurn) {
    FlatIndex idx(1000);
    std::map<std::uint64_t, std::uint32_t> ref;
    std::mt19937_64 rng(7);
    for (int i = 0; i < 200'000; ++i) {
        std::uint64_t key = rng() % 1500;
        if (rng() % 2 == 0 && ref.size() < 1000) {
            auto v = static_cast<std::uint32_t>(rng() % 100'000);
            idx.put(key, v);
            ref[key] = v;
        } else if (auto it = ref.find(key); it != ref.end()) {
            idx.erase_if(key, it->second);
            ref.erase(it);
        }
        if (i % 1000 == 0) {
            for (auto& [k, v] : ref) ASSERT_EQ(idx.find(k), v);
            ASSERT_EQ(idx.size(), ref.size());
        }
    }
}

}  // namespace
}  // namespace rackboot::proto
