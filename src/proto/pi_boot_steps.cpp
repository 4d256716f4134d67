#include "proto/pi_boot_steps.h"

namespace rackboot::proto {

namespace {

PiBootStep step(std::string path, PiStepKind kind, PiFileRole role, bool required) {
    PiBootStep s;
    s.path = std::move(path);
    s.kind = kind;
    s.role = role;
    s.required = required;
    return s;
}

}  // namespace

std::vector<PiBootStep> pi_first_steps(PiModel model, const PiStepOptions& opts) {
    using K = PiStepKind;
    using R = PiFileRole;
    std::vector<PiBootStep> s;
    switch (model) {
        case PiModel::pi3: {
            // The ROM reads bootcode.bin, which reads the rest; start.elf reads config.txt again.
            PiBootStep boot = step("bootcode.bin", K::Fetch, R::Other, true);
            boot.options = false;
            s.push_back(std::move(boot));
            s.push_back(step("bootsig.bin", K::Fetch, R::Other, false));
            s.push_back(step("start.elf", K::PrefixProbe, R::Other, false));
            s.push_back(step("autoboot.txt", K::Fetch, R::Other, false));
            s.push_back(step("config.txt", K::Fetch, R::Config, false));
            s.push_back(step("recovery.elf", K::Fetch, R::Other, false));
            s.push_back(step("start.elf", K::Fetch, R::Other, true));
            s.push_back(step("fixup.dat", K::Fetch, R::Other, true));
            s.push_back(step("config.txt", K::Fetch, R::ConfigFinal, false));
            break;
        }
        case PiModel::pi4: {
            s.push_back(step("start4.elf", K::PrefixProbe, R::Other, false));
            s.push_back(step("config.txt", K::Fetch, R::Config, false));
            s.push_back(step("recover4.elf", K::Probe, R::Other, false));
            s.push_back(step("recovery.elf", K::Probe, R::Other, false));
            s.push_back(step("start4.elf", K::ProbeThenFetch, R::Other, true));
            s.push_back(step("fixup4.dat", K::ProbeThenFetch, R::Other, true));
            int rereads = opts.config_rereads < 1 ? 1 : (opts.config_rereads > 4 ? 4 : opts.config_rereads);
            for (int i = 1; i < rereads; ++i) s.push_back(step("config.txt", K::Fetch, R::Config, false));
            s.push_back(step("config.txt", K::Fetch, R::ConfigFinal, false));
            break;
        }
        case PiModel::pi5: {
            s.push_back(step("config.txt", K::PrefixProbe, R::Other, false));
            s.push_back(step("config.txt", K::Fetch, R::ConfigFinal, false));
            break;
        }
    }
    return s;
}

std::vector<PiBootStep> pi_final_steps(PiModel model, const PiBootFiles& files) {
    using K = PiStepKind;
    using R = PiFileRole;
    const std::string& pre = files.os_prefix;
    std::vector<PiBootStep> s;
    auto overlays = [&](K kind) {
        for (const std::string& o : files.overlays) {
            std::string path = pre;
            path += "overlays/";
            path += o;
            path += ".dtbo";
            s.push_back(step(std::move(path), kind, R::Other, false));
        }
    };
    auto initramfs = [&](K kind) {
        if (!files.initramfs.empty()) s.push_back(step(pre + files.initramfs, kind, R::Other, true));
    };
    PiBootStep kernel = step(pre + files.kernel, K::Fetch, R::Kernel, true);
    switch (model) {
        case PiModel::pi3:
            s.push_back(step("dt-blob.bin", K::Fetch, R::Other, false));
            s.push_back(step("cmdline.txt", K::Fetch, R::Cmdline, true));
            s.push_back(kernel);
            initramfs(K::Fetch);
            s.push_back(step(pre + files.device_tree, K::Fetch, R::Other, false));
            overlays(K::Fetch);
            break;
        case PiModel::pi4:
            initramfs(K::ProbeThenFetch);
            s.push_back(step(pre + files.device_tree, K::ProbeThenFetch, R::Other, false));
            overlays(K::ProbeThenFetch);
            s.push_back(step("cmdline.txt", K::ProbeThenFetch, R::Cmdline, true));
            kernel.kind = K::ProbeThenFetch;
            s.push_back(kernel);
            break;
        case PiModel::pi5:
            s.push_back(step("pieeprom.sig", K::Probe, R::Other, false));
            s.push_back(step("cmdline.txt", K::Fetch, R::Cmdline, true));
            kernel.kind = K::ProbeThenFetch;
            if (!files.kernel_named) kernel.fallback = pre + "kernel8.img";
            s.push_back(kernel);
            s.push_back(step(pre + files.device_tree, K::Fetch, R::Other, false));
            overlays(K::Fetch);
            initramfs(K::Fetch);
            break;
    }
    return s;
}

std::uint16_t pi_blksize(PiModel model, std::uint16_t pi4_blksize) noexcept {
    switch (model) {
        case PiModel::pi3: return 0;
        case PiModel::pi4: return pi4_blksize;
        case PiModel::pi5: return 1468;
    }
    return 0;
}

}  // namespace rackboot::proto
