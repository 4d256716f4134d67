#include "control/events/boot_stats.h"

#include <utility>

#include "control/metrics/families.h"

namespace rackboot::control {

namespace {

std::string_view basename(std::string_view path) {
    std::size_t slash = path.find_last_of('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool starts(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}
bool ends(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

template <std::size_t N, std::size_t... I>
std::array<Histogram, N> histograms(std::span<const double> bounds, std::index_sequence<I...>) {
    return {((void)I, Histogram(bounds))...};
}

}  // namespace

bool is_kernel(std::string_view path) noexcept {
    std::string_view b = basename(path);
    return starts(b, "kernel") || starts(b, "vmlinuz") || b == "Image" || b == "zImage";
}

bool is_cmdline(std::string_view path) noexcept {
    return basename(path) == "cmdline.txt";
}

BootModel model_of_file(std::string_view path) noexcept {
    std::string_view b = basename(path);
    if (b == "bootcode.bin") return BootModel::pi3;  // the Pi 4 and 5 have it in their EEPROM
    if (starts(b, "start4") || starts(b, "fixup4")) return BootModel::pi4;
    if (b == "kernel_2712.img" || b == "pieeprom.sig") return BootModel::pi5;
    return BootModel::unknown;
}

FileRole file_role(std::string_view path) noexcept {
    std::string_view b = basename(path);
    if (is_kernel(b)) return FileRole::kernel;
    if (b == "config.txt" || b == "cmdline.txt") return FileRole::config;
    if (ends(b, ".dtb") || ends(b, ".dtbo") || path.find("overlays/") != std::string_view::npos) {
        return FileRole::device_tree;
    }
    if (starts(b, "initrd") || starts(b, "initramfs")) return FileRole::initramfs;
    if (b == "bootcode.bin" || b == "bootsig.bin" || starts(b, "start") || starts(b, "fixup") || starts(b, "recover") ||
        starts(b, "pieeprom") || ends(b, ".sig")) {
        return FileRole::firmware;
    }
    return FileRole::other;
}

std::string_view to_string(FileRole r) noexcept {
    switch (r) {
        case FileRole::firmware: return "firmware";
        case FileRole::config: return "config";
        case FileRole::device_tree: return "device_tree";
        case FileRole::kernel: return "kernel";
        case FileRole::initramfs: return "initramfs";
        default: return "other";
    }
}

std::string_view phase_name(std::size_t phase) noexcept {
    return phase == 0 ? "dhcp" : to_string(static_cast<FileRole>(phase - 1));
}

std::string_view to_string(BootModel m) noexcept {
    switch (m) {
        case BootModel::pi3: return "pi3";
        case BootModel::pi4: return "pi4";
        case BootModel::pi5: return "pi5";
        default: return "unknown";
    }
}

std::string_view to_string(BootResult r) noexcept {
    switch (r) {
        case BootResult::booted: return "booted";
        case BootResult::failed: return "failed";
        case BootResult::netboot_off: return "netboot_off";
        default: return "abandoned";
    }
}

BootStats::BootStats()
    : boot_seconds_(histograms<kModels>(kBootSeconds, std::make_index_sequence<kModels>())),
      phase_seconds_(histograms<kPhases>(kStepSeconds, std::make_index_sequence<kPhases>())),
      transfer_seconds_(histograms<kRoles>(kStepSeconds, std::make_index_sequence<kRoles>())),
      rate_(kRateBytesPerSecond) {
}

void BootStats::on_boot(BootModel model, BootResult result, double total_s,
                        const std::array<double, kPhases>& phase_s) {
    auto m = static_cast<std::size_t>(model);
    ++boots_[m][static_cast<std::size_t>(result)];
    if (result != BootResult::booted) return;  // boot time is the time to boot
    boot_seconds_[m].observe(total_s);
    for (std::size_t p = 0; p < kPhases; ++p) {
        if (phase_s[p] >= 0) phase_seconds_[p].observe(phase_s[p]);
    }
}

void BootStats::on_complete_transfer(FileRole role, double seconds, std::uint64_t bytes) {
    transfer_seconds_[static_cast<std::size_t>(role)].observe(seconds);
    // A transfer timed in whole milliseconds: one under a millisecond is too short to be a rate.
    if (bytes >= kMinRateBytes && seconds > 0) rate_.observe(static_cast<double>(bytes) / seconds);
}

void BootStats::render(std::string& out, const std::array<std::uint64_t, kPhases>& in_progress) const {
    out += metric_header("rackboot_boots_total");
    for (std::size_t m = 0; m < kModels; ++m) {
        for (std::size_t r = 0; r < kResults; ++r) {
            out += "rackboot_boots_total{model=\"";
            out += to_string(static_cast<BootModel>(m));
            out += "\",result=\"";
            out += to_string(static_cast<BootResult>(r));
            out += "\"} " + std::to_string(boots_[m][r]) + "\n";
        }
    }
    out += metric_header("rackboot_boot_duration_seconds");
    for (std::size_t m = 0; m < kModels; ++m) {
        std::string label = "model=\"" + std::string(to_string(static_cast<BootModel>(m))) + "\"";
        boot_seconds_[m].render(out, "rackboot_boot_duration_seconds", label);
    }
    out += metric_header("rackboot_boot_phase_seconds");
    for (std::size_t p = 0; p < kPhases; ++p) {
        phase_seconds_[p].render(out, "rackboot_boot_phase_seconds", "phase=\"" + std::string(phase_name(p)) + "\"");
    }
    out += metric_header("rackboot_boots_in_progress");
    for (std::size_t p = 0; p < kPhases; ++p) {
        out += "rackboot_boots_in_progress{phase=\"";
        out += phase_name(p);
        out += "\"} " + std::to_string(in_progress[p]) + "\n";
    }
    out += metric_header("rackboot_tftp_transfer_duration_seconds");
    for (std::size_t r = 0; r < kRoles; ++r) {
        std::string label = "role=\"" + std::string(to_string(static_cast<FileRole>(r))) + "\"";
        transfer_seconds_[r].render(out, "rackboot_tftp_transfer_duration_seconds", label);
    }
    out += metric_header("rackboot_tftp_transfer_rate_bytes_per_second");
    rate_.render(out, "rackboot_tftp_transfer_rate_bytes_per_second", "");
}

}  // namespace rackboot::control
