// Partition tables made by sfdisk and sgdisk, read back and compared with sfdisk's own dump; broken
// ones (a GPT CRC, an EBR chain that loops, an image cut short) refused with the reason.
#include "image/partition_table.h"

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "support/image_scratch.h"
#include "support/unwrap.h"

namespace rackboot::image {
namespace {

using test::ImageScratch;
using test::open_image;

struct Dumped {
    std::uint64_t start = 0, size = 0;
    std::string type;
};

// sfdisk --dump's lines "disk.img5 : start= 34816, size= 16384, type=c" by partition number.
std::map<unsigned, Dumped> sfdisk_dump(const ImageScratch& s) {
    EXPECT_TRUE(s.sh("sfdisk --dump disk.img > dump.txt"));
    std::ifstream in(s.path("dump.txt"));
    std::map<unsigned, Dumped> out;
    std::regex line(R"(disk\.img(\d+) : start=\s*(\d+), size=\s*(\d+), type=([0-9A-Fa-f-]+))");
    for (std::string l; std::getline(in, l);) {
        std::smatch m;
        if (std::regex_search(l, m, line)) {
            out[static_cast<unsigned>(std::stoul(m[1]))] = {std::stoull(m[2]), std::stoull(m[3]), m[4]};
        }
    }
    return out;
}

void expect_as_dumped(const PartitionTable& table, const std::map<unsigned, Dumped>& dumped) {
    ASSERT_EQ(table.partitions.size(), dumped.size());
    for (const Partition& p : table.partitions) {
        SCOPED_TRACE(p.number);
        ASSERT_TRUE(dumped.count(p.number));
        EXPECT_EQ(p.offset, dumped.at(p.number).start * kSectorSize);
        EXPECT_EQ(p.size, dumped.at(p.number).size * kSectorSize);
    }
}

PartitionTable read_table(const ImageScratch& s) {
    FileSource image = open_image(s.path("disk.img"));
    return test::unwrap(read_partition_table(image));
}

std::string refusal(const ImageScratch& s, std::optional<unsigned> number = std::nullopt) {
    FileSource image = open_image(s.path("disk.img"));
    auto table = read_partition_table(image);
    if (!table) return table.error().reason;
    auto chosen = boot_partition(*table, number);
    return chosen ? std::string("accepted") : chosen.error().reason;
}

TEST(PartitionTable, MbrPrimariesAndLogicalsThroughTheEbrChain) {
    ImageScratch s;
    ASSERT_TRUE(
        s.sh("truncate -s 64M disk.img\n"
             "printf 'label: dos\\n2048,16M,c\\n,8M,83\\n,,5\\n,8M,c\\n,8M,e\\n,,83\\n' | sfdisk -q disk.img"));
    PartitionTable table = read_table(s);
    EXPECT_EQ(table.kind, TableKind::mbr);
    auto dumped = sfdisk_dump(s);
    ASSERT_EQ(dumped[3].type, "5");
    dumped.erase(3);  // the extended partition holds the logical ones, not a file system
    expect_as_dumped(table, dumped);
    std::vector<unsigned> numbers;
    for (const Partition& p : table.partitions) numbers.push_back(p.number);
    EXPECT_EQ(numbers, (std::vector<unsigned>{1, 2, 5, 6, 7}));
    EXPECT_TRUE(table.partitions[0].fat);
    EXPECT_FALSE(table.partitions[1].fat);
    EXPECT_EQ(table.partitions[3].type, "0x0e");
    EXPECT_EQ(test::unwrap(boot_partition(table, std::nullopt)).number, 1u);
    EXPECT_EQ(test::unwrap(boot_partition(table, 6)).offset, table.partitions[3].offset);
    EXPECT_EQ(refusal(s, 4), "the image has no partition 4");
}

TEST(PartitionTable, GptEntriesAndTheirTypes) {
    ImageScratch s;
    ASSERT_TRUE(
        s.sh("truncate -s 64M disk.img\n"
             "sgdisk -n 1:2048:+16M -t 1:8300 -n 2:0:+8M -t 2:0700 -n 3:0:+8M -t 3:ef00 disk.img"));
    PartitionTable table = read_table(s);
    EXPECT_EQ(table.kind, TableKind::gpt);
    expect_as_dumped(table, sfdisk_dump(s));
    ASSERT_EQ(table.partitions.size(), 3u);
    EXPECT_FALSE(table.partitions[0].fat);
    EXPECT_EQ(table.partitions[1].type, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
    EXPECT_TRUE(table.partitions[2].fat);
    EXPECT_EQ(test::unwrap(boot_partition(table, std::nullopt)).number, 2u);  // the first FAT one
}

TEST(PartitionTable, GptWithADamagedHeaderOrEntryArrayIsRefused) {
    ImageScratch s;
    ASSERT_TRUE(s.sh("truncate -s 16M disk.img && sgdisk -n 1:2048:0 -t 1:0700 disk.img && cp disk.img good.img"));
    // Each damage flips a byte's bits: writing a fixed value would change nothing where the
    // random disk GUID already held it (one run in 256).
    auto flip = [&](std::uint64_t at) {
        std::uint8_t was = s.peek(s.path("disk.img"), at, 1).at(0);
        s.poke(s.path("disk.img"), at, {static_cast<std::uint8_t>(was ^ 0xFF)});
    };
    flip(512 + 60);  // inside the disk GUID
    EXPECT_NE(refusal(s).find("GPT header's CRC32 does not match"), std::string::npos) << refusal(s);
    ASSERT_TRUE(s.sh("cp good.img disk.img"));
    flip(1024 + 56);  // the first entry's name
    EXPECT_NE(refusal(s).find("entry array's CRC32 does not match"), std::string::npos) << refusal(s);
}

TEST(PartitionTable, AnEbrChainThatLoopsIsRefused) {
    ImageScratch s;
    ASSERT_TRUE(s.sh(
        "truncate -s 32M disk.img\nprintf 'label: dos\\n2048,8M,c\\n,,5\\n,4M,c\\n,4M,c\\n' | sfdisk -q disk.img"));
    PartitionTable table = read_table(s);
    ASSERT_EQ(table.partitions.size(), 3u);
    // The second EBR's link, pointed back at the first (relative 0: the extended partition's start).
    std::uint64_t ext_start = table.partitions[0].offset + table.partitions[0].size;
    auto link = s.peek(s.path("disk.img"), ext_start + 446 + 16, 16);
    ASSERT_EQ(link[4], 0x05) << "the first EBR links on";
    std::uint64_t second_at =
        ext_start +
        (std::uint64_t{link[8]} | std::uint64_t{link[9]} << 8 | std::uint64_t{link[10]} << 16) * kSectorSize;
    ASSERT_LT(second_at, table.partitions[2].offset);
    s.poke(s.path("disk.img"), second_at + 446 + 16, {0x00, 0, 0, 0, 0x05, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0});
    EXPECT_NE(refusal(s).find("EBR chain loops"), std::string::npos) << refusal(s);
}

TEST(PartitionTable, AnImageIsARegularFile) {
    ImageScratch s;
    EXPECT_EQ(test::reason(FileSource::open(s.dir())), s.dir() + ": not a regular file");
    EXPECT_NE(test::reason(FileSource::open(s.path("missing.img"))).find("No such file"), std::string::npos);
}

TEST(PartitionTable, NoTableOrAPartitionPastTheEndIsRefused) {
    ImageScratch s;
    ASSERT_TRUE(s.sh("truncate -s 4M disk.img"));
    EXPECT_NE(refusal(s).find("no partition table"), std::string::npos) << refusal(s);
    ASSERT_TRUE(
        s.sh("truncate -s 64M disk.img && printf 'label: dos\\n2048,,c\\n' | sfdisk -q disk.img && truncate -s 8M "
             "disk.img"));
    EXPECT_NE(refusal(s).find("runs past the image's end"), std::string::npos) << refusal(s);
}

}  // namespace
}  // namespace rackboot::image
