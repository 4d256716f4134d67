// What a Pi's firmware takes from config.txt to choose the files it loads next (issue 11: the
// swarm's Pis read the served tree's config.txt the way the firmware does, so a realistic tree
// boots realistically). Conditional sections [pi3] [pi4] [pi5] [all] [none] are honoured for the
// model; other filters ([gpio…], [0x…], [EDID=…]) are taken as true. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/pi_dhcp_client.h"

namespace rackboot::proto {

struct PiBootFiles {
    std::string kernel;  // kernel=, else the model's default (kernel7.img, kernel8.img, kernel_2712.img)
    bool kernel_named = false;
    std::string initramfs;              // initramfs=FILE [ADDRESS|followkernel]; empty: none
    std::string device_tree;            // device_tree=, else the model's dtb
    std::vector<std::string> overlays;  // dtoverlay=NAME[,params] → overlays/NAME.dtbo, in order, no repeats
    std::string os_prefix;              // os_prefix=: prepended to kernel, initramfs, dtb and overlays
    bool arm_64bit = false;
};

// Parses `text` for `model`; unknown keys and malformed lines are ignored, as the firmware does.
[[nodiscard]] PiBootFiles read_pi_config_txt(std::string_view text, PiModel model);

}  // namespace rackboot::proto
