// rackbootd's configuration file (--config, TOML, read with toml++): every flag is a key of the
// same name (without the dashes; '_' may stand for '-'), so the file and the command line say
// the same things the same way:
//   tftp-root = "/srv/rackboot/root"      a string, as the flag's value
//   max-transfers = 4000                  an integer
//   auto-discover = true                  a flag without a value: true sets it
//   lease-fsync = false                   an on|off flag: true is on
//   board = ["8f3a21c0=/srv/a"]           a repeatable flag: one value each
//   cpus = [2, 3]                         a list flag: joined with ','
// The keys become flags, each with its line, applied before the command line's (which override).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "proto/result.h"

namespace rackboot::control {

struct ConfigFlag {
    std::size_t line = 0;
    std::string flag;  // "--key" or "--key=value"
};

// The file's flags, or "FILE:LINE: why" (a TOML syntax error, a table, a value of the wrong kind).
[[nodiscard]] proto::Result<std::vector<ConfigFlag>> read_config_file(const std::string& path);

}  // namespace rackboot::control
