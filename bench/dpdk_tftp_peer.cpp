// dpdk_tftp_peer: the swarm library's TFTP load peer as a command (closed-loop TFTP clients or a
// frame echo over one DPDK port; see src/swarm/dpdk/tftp_load_peer.h for the modes and flags).
#include <string>
#include <vector>

#include "swarm/dpdk/tftp_load_peer.h"

int main(int argc, char** argv) {
    return rackboot::swarm::run_tftp_load_peer_main(std::vector<std::string>(argv + 1, argv + argc));
}
