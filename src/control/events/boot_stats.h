// The boot timelines' figures as Prometheus families: boots by model and result, boot time and
// each phase's time as histograms, transfer time and rate by file role, and boots in progress by
// phase. Fed and read under the timeline's lock (not thread-safe itself).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "control/metrics/histogram.h"

namespace rackboot::control {

// What a boot file is for, as the phases of a boot are named.
enum class FileRole : std::uint8_t { firmware, config, device_tree, kernel, initramfs, other, count_ };
[[nodiscard]] std::string_view to_string(FileRole r) noexcept;
[[nodiscard]] FileRole file_role(std::string_view path) noexcept;
[[nodiscard]] bool is_kernel(std::string_view path) noexcept;
[[nodiscard]] bool is_cmdline(std::string_view path) noexcept;

// A boot's phase: DHCP, then the role of the file it is on.
inline constexpr std::size_t kPhases = static_cast<std::size_t>(FileRole::count_) + 1;
[[nodiscard]] std::string_view phase_name(std::size_t phase) noexcept;  // 0: "dhcp", then each role
[[nodiscard]] constexpr std::size_t phase_of(FileRole r) noexcept {
    return static_cast<std::size_t>(r) + 1;
}

enum class BootModel : std::uint8_t { pi3, pi4, pi5, unknown, count_ };
[[nodiscard]] std::string_view to_string(BootModel m) noexcept;
// The model a boot's file names, where DHCP did not (a Pi 3 sends no option 97); unknown else.
[[nodiscard]] BootModel model_of_file(std::string_view path) noexcept;

enum class BootResult : std::uint8_t { booted, failed, netboot_off, abandoned, count_ };
[[nodiscard]] std::string_view to_string(BootResult r) noexcept;

class BootStats {
public:
    BootStats();

    // A finished boot. phase_s: each phase's seconds, negative where the boot had no such phase.
    void on_boot(BootModel model, BootResult result, double total_s, const std::array<double, kPhases>& phase_s);
    // A transfer the timeline saw end whole.
    void on_complete_transfer(FileRole role, double seconds, std::uint64_t bytes);

    // Every family, with in_progress[phase] boots under way.
    void render(std::string& out, const std::array<std::uint64_t, kPhases>& in_progress) const;

    static constexpr std::uint64_t kMinRateBytes =
        std::uint64_t{64} * 1024;  // smaller files are a round trip, not a rate

private:
    static constexpr std::size_t kModels = static_cast<std::size_t>(BootModel::count_);
    static constexpr std::size_t kResults = static_cast<std::size_t>(BootResult::count_);
    static constexpr std::size_t kRoles = static_cast<std::size_t>(FileRole::count_);
    std::array<std::array<std::uint64_t, kResults>, kModels> boots_{};
    std::array<Histogram, kModels> boot_seconds_;
    std::array<Histogram, kPhases> phase_seconds_;
    std::array<Histogram, kRoles> transfer_seconds_;
    Histogram rate_;
};

}  // namespace rackboot::control
