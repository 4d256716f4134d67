// Bulk import of boards from the files users migrate from (POST /api/v1/boards:import):
// - nobodd's INI: [board:SERIAL] sections with image = PATH, ip = ADDR (partition is ignored:
//   directory images only for now, disk images come later);
// - dnsmasq's dhcp-host lines: dhcp-host=MAC[,MAC...][,ADDR][,NAME][,LEASE][,set:TAG]... (no
//   serial: each line updates the board that lists one of its MACs).
// Pure parsing: a syntax error names its line and nothing is imported.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "control/store/inventory.h"

namespace rackboot::control {

struct ImportEntry {
    std::size_t line = 0;
    std::optional<proto::Serial> serial;  // nobodd
    std::string serial_full;
    std::vector<Mac> macs;  // dnsmasq
    std::optional<proto::Ipv4> ip;
    std::string name;
    std::string image_path;             // nobodd's image = (a directory beneath --images-root, or a disk image)
    std::optional<unsigned> partition;  // nobodd's partition = (of a disk image)
};

struct ImportParse {
    std::string format;  // "nobodd" or "dnsmasq"
    std::vector<ImportEntry> entries;
    std::size_t error_line = 0;  // 0: parsed
    std::string error;
};

[[nodiscard]] ImportParse parse_board_import(const std::string& text);

}  // namespace rackboot::control
