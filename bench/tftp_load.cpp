// tftp_load: the swarm library's kernel-socket TFTP load generator as a command (see
// src/swarm/udp_tftp_load.h for the flags).
#include <string>
#include <vector>

#include "swarm/udp_tftp_load.h"

int main(int argc, char** argv) {
    return rackboot::swarm::run_udp_tftp_load_main(std::vector<std::string>(argv + 1, argv + argc));
}
