// rackboot-swarm: a synthetic Raspberry Pi fleet booting from the network (issue 11). A thin main
// over src/swarm; `rackboot-swarm --help` says how to run it.
#include <string>
#include <vector>

#include "swarm/dpdk/swarm_run.h"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return rackboot::swarm::run_swarm_main(args);
}
