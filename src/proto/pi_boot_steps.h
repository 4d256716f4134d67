// The files each Pi model's boot firmware asks for, in order (PI-BOOT.md's table), as steps the
// fake Pi (pi_boot.h) runs one after another: the steps up to the firmware's last read of
// config.txt are fixed per model; those after it come from what config.txt says.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/pi_config_txt.h"
#include "proto/pi_dhcp_client.h"

namespace rackboot::proto {

enum class PiStepKind : std::uint8_t {
    Fetch,           // read the whole file
    Probe,           // existence probe only: OACK (or DATA 1), then ERROR "Early terminate"
    ProbeThenFetch,  // probe, then read it from a new port (the Pi 4's pattern)
    PrefixProbe,     // probe SERIAL/path: the serial prefix is kept only if it exists
};

enum class PiFileRole : std::uint8_t { Other, Config, ConfigFinal, Kernel, Cmdline };

struct PiBootStep {
    std::string path;      // without the serial prefix
    std::string fallback;  // tried when `path` is missing (Pi 5: kernel_2712.img, then kernel8.img)
    PiStepKind kind = PiStepKind::Fetch;
    PiFileRole role = PiFileRole::Other;
    bool required = false;  // missing → the boot fails
    bool options = true;    // false: the RRQ carries no options at all (the Pi 3 ROM's bootcode.bin)
};

struct PiStepOptions {
    int config_rereads = 3;  // Pi 4: how many times start4.elf reads config.txt again (up to 4)
};

// The steps up to and including the firmware's last read of config.txt.
[[nodiscard]] std::vector<PiBootStep> pi_first_steps(PiModel model, const PiStepOptions& opts);
// The steps after it, from what config.txt said (os_prefix applied).
[[nodiscard]] std::vector<PiBootStep> pi_final_steps(PiModel model, const PiBootFiles& files);

// The blksize each model asks for (0: none, 512-byte blocks).
[[nodiscard]] std::uint16_t pi_blksize(PiModel model, std::uint16_t pi4_blksize) noexcept;

}  // namespace rackboot::proto
