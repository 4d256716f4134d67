// DPDK's Environment Abstraction Layer, once per process: initialised from the argument string
// the operator gives (--eal "..."), cleaned up at exit so no runtime directory is left behind.
#pragma once

#include <string>
#include <vector>

#include "proto/result.h"

namespace rackboot::dataplane {

// Splits an EAL argument string on whitespace, honouring single and double quotes.
[[nodiscard]] std::vector<std::string> split_eal_args(const std::string& args);

class DpdkEal {
public:
    // Initialises the EAL, or gives the EAL's reason when the arguments are bad.
    [[nodiscard]] static proto::Result<> init(const std::string& args);
    static void cleanup();
};

}  // namespace rackboot::dataplane
