// Indexing a disk image (issue 21: "a 4 GB image with a 512 MB boot partition well under a
// second"). The image is made here as Raspberry Pi OS lays one out: a 4 GiB sparse file, a
// 512 MiB FAT32 boot partition at 1 MiB and the rest a Linux one; in it ~90 MB as a Bookworm
// boot partition holds (firmware, four kernels and initramfs, 60 device trees, 300 overlays in
// overlays/), written by mtools with every other small file deleted first, so the big files are
// fragmented. Timed: FatIndex::build with the image in the page cache (warm) and with its pages
// dropped before each run (cold: posix_fadvise DONTNEED, no root needed). The baseline in the
// same run: mtools listing the same tree recursively (`mdir -/ -a`, one process, reading the
// same directories and FAT), the tool a host would use to look into an image.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "image/byte_source.h"
#include "image/fat_index.h"
#include "support/image_scratch.h"

namespace {

using namespace rackboot;

constexpr std::uint64_t kBootAt = 1u << 20;

test::ImageScratch& scratch() {
    static test::ImageScratch* s = [] {
        auto* made = new test::ImageScratch();
        made->random_file("kernel", 9u << 20, 1);
        made->random_file("initramfs", 12u << 20, 2);
        made->random_file("firmware", 2u << 20, 3);
        made->random_file("dtb", 50u << 10, 4);
        made->random_file("overlay", 3000, 5);
        bool ok = made->sh(
            "truncate -s 4G disk.img\n"
            "printf 'label: dos\\n2048,512M,c\\n,,83\\n' | sfdisk -q disk.img\n"
            "mkfs.vfat -F 32 --offset 2048 disk.img 524288 > /dev/null\n"
            "I='disk.img@@" +
            std::to_string(kBootAt) +
            "'\n"
            "mmd -i $I ::/overlays\n"
            "for i in $(seq 1 300); do cp overlay ov$i.dtbo; done\n"
            "mcopy -i $I ov*.dtbo ::/overlays/\n"
            "for i in $(seq 1 2 300); do echo ::/overlays/ov$i.dtbo; done | xargs mdel -i $I\n"
            "for i in $(seq 1 60); do cp dtb bcm27$i-rpi.dtb; done\n"
            "mcopy -i $I bcm27*.dtb ::/\n"
            "for f in start.elf start4.elf start4x.elf fixup.dat fixup4.dat bootcode.bin; do cp firmware $f; done\n"
            "mcopy -i $I start.elf start4.elf start4x.elf fixup.dat fixup4.dat bootcode.bin ::/\n"
            "for k in kernel8.img kernel_2712.img kernel7l.img kernel.img; do cp kernel $k; done\n"
            "for r in initramfs8 initramfs_2712 initramfs7l initramfs7; do cp initramfs $r; done\n"
            "mcopy -i $I kernel8.img kernel_2712.img kernel7l.img kernel.img initramfs8 initramfs_2712 initramfs7l "
            "initramfs7 ::/\n"
            "printf 'console=serial0,115200 root=/dev/mmcblk0p2 rootwait\\n' > cmdline.txt\n"
            "printf '[all]\\narm_64bit=1\\n' > config.txt\n"
            "mcopy -i $I cmdline.txt config.txt ::/\n");
        if (!ok) std::abort();
        return made;
    }();
    return *s;
}

image::FileSource open_image() {
    auto src = image::FileSource::open(scratch().path("disk.img"));
    if (!src) std::abort();
    return std::move(*src);
}

void BM_IndexWarm(benchmark::State& state) {
    image::FileSource src = open_image();
    std::size_t files = 0;
    for (auto _ : state) {
        auto index = image::FatIndex::build(src, std::nullopt);
        if (!index) state.SkipWithError(index.error().reason.c_str());
        files = index ? index->files().size() : 0;
        benchmark::DoNotOptimize(index);
    }
    state.counters["files"] = static_cast<double>(files);
    state.counters["image_GiB"] = static_cast<double>(src.size()) / (1u << 30);
}
BENCHMARK(BM_IndexWarm)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_IndexCold(benchmark::State& state) {
    image::FileSource src = open_image();
    for (auto _ : state) {
        state.PauseTiming();
        fdatasync(src.fd());
        posix_fadvise(src.fd(), 0, 0, POSIX_FADV_DONTNEED);
        state.ResumeTiming();
        auto index = image::FatIndex::build(src, std::nullopt);
        if (!index) state.SkipWithError(index.error().reason.c_str());
        benchmark::DoNotOptimize(index);
    }
}
BENCHMARK(BM_IndexCold)->Unit(benchmark::kMillisecond)->UseRealTime();

// The baseline: mtools reading the same tree (a process start included, about a millisecond).
void BM_MtoolsListing(benchmark::State& state) {
    std::string cmd = "MTOOLS_SKIP_CHECK=1 mdir -/ -a -i '" + scratch().path("disk.img") + "@@" +
                      std::to_string(kBootAt) + "' ::/ > /dev/null";
    for (auto _ : state) {
        if (std::system(cmd.c_str()) != 0) state.SkipWithError("mdir failed");
    }
}
BENCHMARK(BM_MtoolsListing)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
