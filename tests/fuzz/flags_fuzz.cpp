// Fuzz harness for rackbootd's command line: the input is split at NUL bytes into arguments
// (after "rackbootd"). A configuration is either accepted or refused with one line that names
// what was wrong; an accepted one holds together (what --dhcp server and --backend dpdk need is
// there), and parsing is a pure function of the arguments.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "rackbootd/config.h"

using namespace rackboot::control;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> args{"rackbootd"};
    std::string cur;
    for (std::size_t i = 0; i < size && args.size() < 64; ++i) {
        if (data[i] == 0) {
            args.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(static_cast<char>(data[i]));
        }
    }
    if (!cur.empty() && args.size() < 64) args.push_back(cur);
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());

    auto cfg = parse_daemon_args(static_cast<int>(argv.size()), argv.data());
    auto again = parse_daemon_args(static_cast<int>(argv.size()), argv.data());
    check(cfg.has_value() == again.has_value());
    if (!cfg) {
        const std::string& error = cfg.error().reason;
        check(error == again.error().reason && cfg.error().exit_code == 2);
        check(!error.empty() && error.find('\n') == std::string::npos);
        return 0;
    }
    check(cfg->mtu >= 576 && cfg->mtu <= 65535);
    check(cfg->max_windowsize >= 1);
    if (cfg->dhcp_mode == rackboot::proto::DhcpMode::Server) {
        check(cfg->prefix != 0 && !cfg->pool_end.unset() && !cfg->state_dir.empty());
    }
    if (cfg->dpdk()) check(!cfg->dpdk_ip.unset() && !cfg->eal.empty());
    if (!cfg->dpdk()) check(cfg->dpdk_gateway.unset() && cfg->dpdk_port.empty());
    return 0;
}
