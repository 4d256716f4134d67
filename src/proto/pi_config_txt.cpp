#include "proto/pi_config_txt.h"

#include <algorithm>

namespace rackboot::proto {

namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Whether the settings under section `name` apply to `model` (and to every section until the next).
bool section_applies(std::string_view name, PiModel model) noexcept {
    if (name == "all") return true;
    if (name == "none") return false;
    if (name == "pi3" || name == "pi3+") return model == PiModel::pi3;
    if (name == "pi4" || name == "pi400" || name == "cm4") return model == PiModel::pi4;
    if (name == "pi5" || name == "pi500" || name == "cm5") return model == PiModel::pi5;
    if (name == "pi0" || name == "pi0w" || name == "pi1" || name == "pi2" || name == "pi02") return false;
    return true;  // a filter we do not model (gpio, serial, EDID, tryboot…): taken as true
}

const char* default_kernel(PiModel model, bool arm_64bit) noexcept {
    switch (model) {
        case PiModel::pi3: return arm_64bit ? "kernel8.img" : "kernel7.img";
        case PiModel::pi4: return "kernel8.img";
        case PiModel::pi5: return "kernel_2712.img";
    }
    return "kernel8.img";
}

const char* default_dtb(PiModel model) noexcept {
    switch (model) {
        case PiModel::pi3: return "bcm2710-rpi-3-b.dtb";
        case PiModel::pi4: return "bcm2711-rpi-4-b.dtb";
        case PiModel::pi5: return "bcm2712-rpi-5-b.dtb";
    }
    return "";
}

}  // namespace

PiBootFiles read_pi_config_txt(std::string_view text, PiModel model) {
    PiBootFiles f;
    bool applies = true;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;
        if (line.front() == '[') {
            std::size_t close = line.find(']');
            if (close != std::string_view::npos) applies = section_applies(line.substr(1, close - 1), model);
            continue;
        }
        if (!applies) continue;
        std::size_t eq = line.find('=');
        if (line.starts_with("initramfs ") || line.starts_with("initramfs\t")) eq = 9;  // "initramfs FILE ADDR"
        if (eq == std::string_view::npos) continue;
        std::string_view key = trim(line.substr(0, eq));
        std::string_view value = trim(line.substr(eq + 1));
        if (std::size_t hash = value.find('#'); hash != std::string_view::npos) value = trim(value.substr(0, hash));
        if (key == "kernel" && !value.empty()) {
            f.kernel = value;
            f.kernel_named = true;
        } else if (key == "initramfs") {
            f.initramfs = value.substr(0, value.find_first_of(" \t"));
        } else if (key == "device_tree") {
            f.device_tree = value;
        } else if (key == "os_prefix") {
            f.os_prefix = value;
        } else if (key == "arm_64bit") {
            f.arm_64bit = value == "1";
        } else if (key == "dtoverlay") {
            std::string name(value.substr(0, value.find(',')));
            if (name.empty()) {
                f.overlays.clear();  // "dtoverlay=" alone ends the list so far
            } else if (std::find(f.overlays.begin(), f.overlays.end(), name) == f.overlays.end()) {
                f.overlays.push_back(std::move(name));
            }
        }
    }
    if (!f.kernel_named) f.kernel = default_kernel(model, f.arm_64bit);
    if (f.device_tree.empty()) f.device_tree = default_dtb(model);
    return f;
}

}  // namespace rackboot::proto
