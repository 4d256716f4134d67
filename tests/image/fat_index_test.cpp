// FAT12, FAT16 and FAT32 volumes made by mkfs.vfat and filled by mtools (long names, mixed case, a
// subdirectory, a fragmented file), behind an MBR, a logical partition and a GPT: every file read
// through the index equals what mtools reads, found whatever its case. Damaged volumes (dirty,
// looped, cross-linked, short chains) are refused with the path and the cluster.
#include "image/fat_index.h"

#include <algorithm>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "image/little_endian.h"
#include "support/image_scratch.h"
#include "support/unwrap.h"

namespace rackboot::image {
namespace {

using test::ImageScratch;
using test::open_image;

constexpr std::uint64_t kPartitionAt = 2048 * kSectorSize;

// An image with one FAT partition at 1 MiB: bits 12, 16 or 32, partition size in MiB.
bool make_volume(const ImageScratch& s, int bits, unsigned mib, const std::string& table = "dos") {
    std::string size = std::to_string(mib) + "M";
    std::string part = table == "dos" ? "printf 'label: dos\\n2048," + size + ",c\\n' | sfdisk -q disk.img"
                                      : "sgdisk -n 1:2048:+" + size + " -t 1:0700 disk.img";
    std::string cluster = bits == 32 ? " -s 1" : "";
    return s.sh("truncate -s " + std::to_string(mib + 2) + "M disk.img\n" + part + "\nmkfs.vfat -F " +
                std::to_string(bits) + cluster + " --offset 2048 disk.img " + std::to_string(mib * 1024) +
                " > /dev/null");
}

// What a Pi's boot partition holds, in small: long and mixed-case names, overlays/, and a file
// fragmented by deleting every other file written before it.
bool fill_volume(const ImageScratch& s, std::size_t big_bytes) {
    s.random_file("start4.elf", 70000, 1);
    s.random_file("dtb", 3000, 2);
    s.random_file("overlay", 1500, 3);
    s.random_file("big", big_bytes, 4);
    s.random_file("small", 3000, 5);
    return s.sh(
        "I='disk.img@@" + std::to_string(kPartitionAt) +
        "'\n"
        "printf 'console=serial0,115200 root=/dev/nbd0p2\\n' > cmdline.txt\n"
        "mcopy -i $I start4.elf ::/Start4.ELF\n"
        "mcopy -i $I cmdline.txt ::/cmdline.txt\n"
        "mcopy -i $I dtb ::/bcm2711-rpi-4-b.dtb\n"
        "mmd -i $I ::/overlays\n"
        "mcopy -i $I overlay ::/overlays/vc4-kms-v3d-pi4.dtbo\n"
        "mcopy -i $I overlay ::/overlays/README\n"
        "for i in $(seq 1 24); do mcopy -i $I small ::/gap$i.bin; done\n"
        "for i in $(seq 1 2 24); do mdel -i $I ::/gap$i.bin; done\n"
        // FAT32 allocates after its FSInfo's next-free hint: pointed back at the start, as
        // after a remount, the big file fills the gaps first.
        "if [ \"$(dd if=disk.img bs=1 skip=$((" +
        std::to_string(kPartitionAt) +
        " + 82)) count=5 2>/dev/null)\" = FAT32 ]; then\n"
        "  printf '\\x02\\x00\\x00\\x00' | dd of=disk.img bs=1 seek=$((" +
        std::to_string(kPartitionAt) +
        " + 512 + 492)) conv=notrunc 2>/dev/null\n"
        "fi\n"
        "mcopy -i $I big ::/A-Long-Initramfs-Name-For-VFAT.img\n"
        "mcopy -i $I small ::/empty-later && mdel -i $I ::/empty-later && : > empty && mcopy -i $I empty ::/empty\n");
}

std::vector<std::uint8_t> read_extents(const ByteSource& image, const IndexedFile& f) {
    std::vector<std::uint8_t> out;
    for (const Extent& e : f.extents) {
        std::vector<std::uint8_t> part(e.length);
        EXPECT_TRUE(image.read_at(e.offset, part).has_value());
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

// Every file mtools lists (recursively, by long name) is indexed and reads as mtools reads it.
void expect_same_as_mtools(const ImageScratch& s, const FatIndex& index, const FileSource& image) {
    ASSERT_TRUE(s.sh("mdir -i 'disk.img@@" + std::to_string(index.partition().offset) + "' -/ -b ::/ > listing"));
    std::set<std::string> listed;
    std::ifstream in(s.path("listing"));
    for (std::string l; std::getline(in, l);) {
        if (l.rfind("::/", 0) == 0 && l.back() != '/') listed.insert(l.substr(3));
    }
    std::set<std::string> indexed;
    for (const IndexedFile& f : index.files()) indexed.insert(f.path);
    listed.erase("overlays");
    EXPECT_EQ(indexed, listed);
    for (const IndexedFile& f : index.files()) {
        SCOPED_TRACE(f.path);
        std::vector<std::uint8_t> got = read_extents(image, f);
        EXPECT_EQ(got.size(), f.size);
        EXPECT_TRUE(got == s.mtype(s.path("disk.img"), index.partition().offset, f.path));
    }
}

struct Built {
    FileSource image;
    FatIndex index;
};

Built index_of(const ImageScratch& s, std::optional<unsigned> partition = std::nullopt) {
    FileSource image = open_image(s.path("disk.img"));
    auto index = FatIndex::build(image, partition);
    if (!index) throw std::runtime_error(index.error().reason);
    return {std::move(image), std::move(*index)};
}

std::string refusal(const ImageScratch& s) {
    FileSource image = open_image(s.path("disk.img"));
    auto index = FatIndex::build(image, std::nullopt);
    return index ? std::string("accepted") : index.error().reason;
}

class FatTypes : public testing::TestWithParam<int> {};

TEST_P(FatTypes, EveryFileReadsAsMtoolsReadsIt) {
    int bits = GetParam();
    ImageScratch s;
    unsigned mib = bits == 12 ? 3 : bits == 16 ? 24 : 40;
    ASSERT_TRUE(make_volume(s, bits, mib));
    ASSERT_TRUE(fill_volume(s, bits == 12 ? 300000 : 2000000));
    Built b = index_of(s);
    EXPECT_EQ(b.index.type(), bits == 12 ? FatType::fat12 : bits == 16 ? FatType::fat16 : FatType::fat32);
    EXPECT_EQ(b.index.partition().offset, kPartitionAt);
    EXPECT_EQ(b.index.directories(), 1u);
    expect_same_as_mtools(s, b.index, b.image);
    const IndexedFile* big = b.index.find("a-long-initramfs-name-for-vfat.IMG");
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(big->path, "A-Long-Initramfs-Name-For-VFAT.img");
    EXPECT_GT(big->extents.size(), 1u) << "written into the gaps of the deleted files";
    EXPECT_NE(b.index.find("START4.elf"), nullptr);
    EXPECT_NE(b.index.find("Overlays/VC4-KMS-V3D-PI4.DTBO"), nullptr);
    ASSERT_NE(b.index.find("empty"), nullptr);
    EXPECT_TRUE(b.index.find("empty")->extents.empty());
    EXPECT_EQ(b.index.find("overlays"), nullptr) << "a directory is no file";
    EXPECT_EQ(b.index.find("gap1.bin"), nullptr) << "deleted";
}

INSTANTIATE_TEST_SUITE_P(Image, FatTypes, testing::Values(12, 16, 32),
                         [](const testing::TestParamInfo<int>& i) { return "fat" + std::to_string(i.param); });

TEST(FatIndex, GptAndLogicalPartitions) {
    ImageScratch s;
    ASSERT_TRUE(make_volume(s, 16, 24, "gpt"));
    ASSERT_TRUE(fill_volume(s, 500000));
    Built gpt = index_of(s);
    EXPECT_EQ(gpt.index.table(), TableKind::gpt);
    expect_same_as_mtools(s, gpt.index, gpt.image);

    ImageScratch l;
    ASSERT_TRUE(
        l.sh("truncate -s 40M disk.img\nprintf 'label: dos\\n2048,4M,83\\n,,5\\n,30M,c\\n' | sfdisk -q disk.img"));
    auto table = test::unwrap(read_partition_table(open_image(l.path("disk.img"))));
    ASSERT_EQ(table.partitions.size(), 2u);
    const Partition& logical = table.partitions[1];
    ASSERT_EQ(logical.number, 5u);
    ASSERT_TRUE(l.sh("mkfs.vfat -F 16 --offset " + std::to_string(logical.offset / kSectorSize) + " disk.img " +
                     std::to_string(logical.size / 1024) + " > /dev/null\nI='disk.img@@" +
                     std::to_string(logical.offset) + "'\nprintf 'x' > x && mcopy -i $I x ::/config.txt"));
    Built lb = index_of(l);  // the first FAT partition is the logical one
    EXPECT_EQ(lb.index.partition().number, 5u);
    expect_same_as_mtools(l, lb.index, lb.image);
}

TEST(FatIndex, ANameHoldingASeparatorIsNotServed) {
    ImageScratch s;
    ASSERT_TRUE(make_volume(s, 16, 24));
    s.random_file("f", 100, 6);
    ASSERT_TRUE(s.sh("mcopy -i 'disk.img@@" + std::to_string(kPartitionAt) + "' f ::/a-b-long-name.txt"));
    // Its long name's first part ("a-b-long-name") holds "a-b-l" as UTF-16 at the entry's bytes
    // 1-10; a crafted image turns the '-' into '/': the checksum (over the 8.3 name) still holds.
    auto bytes = s.peek(s.path("disk.img"), 0, 26u << 20);
    const std::vector<std::uint8_t> needle = {'a', 0, '-', 0, 'b', 0, '-', 0, 'l', 0};
    auto at = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
    ASSERT_NE(at, bytes.end());
    s.poke(s.path("disk.img"), static_cast<std::uint64_t>(at - bytes.begin()) + 2, {'/'});
    Built b = index_of(s);
    EXPECT_EQ(b.index.find("a/b-long-name.txt"), nullptr);
    EXPECT_EQ(b.index.unreadable_names(), 1u);
    EXPECT_TRUE(b.index.files().empty());
}

// The FAT entry of cluster c in the first FAT of the FAT32 volume at kPartitionAt.
std::uint64_t fat32_entry(const ImageScratch& s, std::uint32_t c) {
    auto bs = s.peek(s.path("disk.img"), kPartitionAt, 512);
    return kPartitionAt + std::uint64_t{le16(bs, 14)} * le16(bs, 11) + 4 * std::uint64_t{c};
}

std::uint32_t first_cluster(const IndexedFile& f, const ImageScratch& s) {
    auto bs = s.peek(s.path("disk.img"), kPartitionAt, 512);
    std::uint64_t sector = le16(bs, 11);
    std::uint64_t data = kPartitionAt + (le16(bs, 14) + bs[16] * std::uint64_t{le32(bs, 36)}) * sector;
    return static_cast<std::uint32_t>((f.extents.front().offset - data) / (sector * bs[13]) + 2);
}

std::vector<std::uint8_t> le32_bytes(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 24)};
}

class DamagedFat : public testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(make_volume(s, 32, 40));
        ASSERT_TRUE(fill_volume(s, 20000));
        Built b = index_of(s);
        start4 = first_cluster(*b.index.find("start4.elf"), s);
        dtb = first_cluster(*b.index.find("bcm2711-rpi-4-b.dtb"), s);
    }
    ImageScratch s;
    std::uint32_t start4 = 0, dtb = 0;
};

TEST_F(DamagedFat, DirtyVolumesAreRefused) {
    ASSERT_TRUE(s.sh("cp disk.img clean.img"));
    s.poke(s.path("disk.img"), kPartitionAt + 65, {0x01});  // what Linux sets while it has it mounted
    EXPECT_NE(refusal(s).find("marked dirty (mounted"), std::string::npos) << refusal(s);
    ASSERT_TRUE(s.sh("cp clean.img disk.img"));
    s.poke(s.path("disk.img"), fat32_entry(s, 1), le32_bytes(0x07FFFFFF));  // clean-shutdown bit clear
    EXPECT_NE(refusal(s).find("clean-shutdown bit is clear"), std::string::npos) << refusal(s);
    ASSERT_TRUE(s.sh("cp clean.img disk.img"));
    EXPECT_EQ(refusal(s), "accepted");
}

TEST_F(DamagedFat, ALoopedChainIsRefusedWithItsPath) {
    s.poke(s.path("disk.img"), fat32_entry(s, start4 + 3), le32_bytes(start4 + 1));
    EXPECT_EQ(refusal(s),
              "Start4.ELF: cluster " + std::to_string(start4 + 1) + " comes twice: its cluster chain loops");
}

TEST_F(DamagedFat, CrossLinkedChainsAreRefusedWithBothPaths) {
    s.poke(s.path("disk.img"), fat32_entry(s, dtb), le32_bytes(start4 + 2));
    std::string why = refusal(s);
    EXPECT_NE(why.find("cross-linked"), std::string::npos) << why;
    EXPECT_NE(why.find("Start4.ELF"), std::string::npos) << why;
    EXPECT_NE(why.find("bcm2711-rpi-4-b.dtb"), std::string::npos) << why;
}

TEST_F(DamagedFat, AChainShorterThanItsFileOrLeavingTheVolumeIsRefused) {
    ASSERT_TRUE(s.sh("cp disk.img good.img"));
    s.poke(s.path("disk.img"), fat32_entry(s, start4 + 9), le32_bytes(0x0FFFFFFF));
    EXPECT_NE(refusal(s).find("Start4.ELF: its cluster chain ends after 10 clusters; its size needs 137"),
              std::string::npos)
        << refusal(s);
    ASSERT_TRUE(s.sh("cp good.img disk.img"));
    s.poke(s.path("disk.img"), fat32_entry(s, start4 + 9), le32_bytes(0x0FFFFFF0));
    EXPECT_NE(refusal(s).find("lies outside the volume"), std::string::npos) << refusal(s);
    ASSERT_TRUE(s.sh("cp good.img disk.img"));
    s.poke(s.path("disk.img"), fat32_entry(s, start4 + 9), le32_bytes(0));
    EXPECT_NE(refusal(s).find("leads to a free cluster"), std::string::npos) << refusal(s);
}

}  // namespace
}  // namespace rackboot::image
