#include "rackbootd/config.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "rackbootd/config_file.h"
#include "rackbootd/flags.h"

namespace rackboot::control {

namespace {

// A refusal of the command line or the file: exit code 2.
tl::unexpected<proto::Failure> usage(std::string reason) {
    return proto::failure(std::move(reason), 2);
}

// Applies flags (argv[0] is skipped) over `cfg`, in place (a file of 8,000 boards applies each
// to the same configuration: never a copy per entry); on a refusal, `cfg` is half done.
// Each flag is a row of daemon_flags(); the checks across flags come after all of them
// (validated()). --config's row applies nothing: its file was read first.
proto::Result<> apply_flags(DaemonConfig& cfg, int argc, const char* const* argv) {
    std::vector<std::string_view> args(argv + std::min(argc, 1), argv + argc);
    return proto::apply_flags(daemon_flags(), std::span<const std::string_view>(args), cfg);
}

// The checks across flags, once every flag (the file's, then the command line's) is applied.
proto::Result<DaemonConfig> validated(DaemonConfig cfg) {
    if (cfg.admission_target_s >= cfg.file_timeout_s) {
        return usage("--admission-target must be shorter than --file-timeout (the margin is what absorbs losses)");
    }
    if (cfg.dpdk()) {
        if (cfg.dpdk_ip.unset()) {
            return usage("--backend dpdk needs --ip ADDR/PREFIX (the port's own address)");
        }
        if (cfg.eal.empty()) {
            return usage("--backend dpdk needs --eal with at least the port (--vdev=... or a PCI address)");
        }
        std::uint32_t mask = ~0u << (32 - cfg.dpdk_prefix);
        if (!cfg.dpdk_gateway.unset() &&
            ((cfg.dpdk_gateway.value() & mask) != (cfg.dpdk_ip.value() & mask) || cfg.dpdk_gateway == cfg.dpdk_ip)) {
            return usage("--gateway must be another address inside --ip's subnet");
        }
    } else if (!cfg.dpdk_gateway.unset()) {
        return usage("--gateway applies to --backend dpdk (the kernel routes for the socket backend)");
    } else if (!cfg.dpdk_port.empty()) {
        return usage("--port applies to --backend dpdk (the socket backend answers on --listen)");
    }
    // Pis told to fetch from this host must be able to reach its TFTP service.
    if (!cfg.dpdk() && cfg.dhcp_mode != proto::DhcpMode::Off && cfg.tftp_server_ip.unset() &&
        (cfg.listen.value() >> 24) == 127) {
        return usage(
            "--dhcp sends Pis to this host for TFTP, but --listen is a loopback address: use --listen 0.0.0.0 "
            "(or the boot network's address), or --tftp-server for another TFTP host");
    }
    // Writes to the inventory over a network need a token the operator chose, not one made here.
    if (cfg.api_enabled && !cfg.state_dir.empty() && (cfg.api_addr.value() >> 24) != 127 &&
        cfg.api_token_file.empty()) {
        return usage("--api " + cfg.api_addr.to_string() +
                     " is not loopback: with --state the API takes writes, so give --api-token-file too");
    }
    if (cfg.api_tls_cert.empty() != cfg.api_tls_key.empty()) {
        return usage("--api-tls-cert and --api-tls-key go together (HTTPS needs both)");
    }
    if (cfg.dhcp_mode == proto::DhcpMode::Server) {
        for (auto [flag, missing] : {std::pair{"--subnet", cfg.prefix == 0}, std::pair{"--pool", cfg.pool_end.unset()},
                                     std::pair{"--state", cfg.state_dir.empty()}}) {
            if (missing) {
                return usage(std::string("--dhcp server needs ") + flag);
            }
        }
    }
    return cfg;
}

}  // namespace

proto::Result<DaemonConfig> parse_daemon_args(int argc, const char* const* argv) {
    DaemonConfig cfg;
    cfg.api_addr = cfg.listen;
    // --config FILE: its keys first, then the command line over them.
    std::string config_path;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--config" && i + 1 < argc) config_path = argv[i + 1];
        if (a.rfind("--config=", 0) == 0) config_path = std::string(a.substr(9));
        if (a == "--config" && i + 1 >= argc) return usage("--config: missing value");
    }
    if (!config_path.empty()) {
        proto::Result<std::vector<ConfigFlag>> flags = read_config_file(config_path);
        if (!flags) return usage(flags.error().reason);
        for (const ConfigFlag& f : *flags) {
            const char* one[] = {"rackbootd", f.flag.c_str()};
            if (proto::Result<> ok = apply_flags(cfg, 2, one); !ok) {
                return usage(config_path + ":" + std::to_string(f.line) + ": " + ok.error().reason);
            }
        }
    }
    if (proto::Result<> ok = apply_flags(cfg, argc, argv); !ok) return usage(ok.error().reason);
    return validated(std::move(cfg));
}

}  // namespace rackboot::control
