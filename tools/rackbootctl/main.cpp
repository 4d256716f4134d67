// rackbootctl: the admin CLI of rackbootd's REST API (src/cli).
#include <iostream>
#include <string>
#include <vector>

#include "cli/ctl.h"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return rackboot::cli::run_ctl(args, std::cout, std::cerr);
}
