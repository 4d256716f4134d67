// rackbootd: the netboot appliance. Everything lives in the libraries; this only wires them.
#include <cstdio>
#include <string>

#include "control/metrics/families.h"
#include "rackbootd/config.h"
#include "rackbootd/daemon.h"

int main(int argc, char** argv) {
    auto cfg = rackboot::control::parse_daemon_args(argc, argv);
    if (!cfg) {
        std::fprintf(stderr, "rackbootd: %s\n", cfg.error().reason.c_str());
        return cfg.error().exit_code;
    }
    if (cfg->show_help) {
        std::fputs(rackboot::control::daemon_usage().c_str(), stdout);
        return 0;
    }
    if (cfg->show_metrics) {
        std::fputs(rackboot::control::metrics_reference().c_str(), stdout);
        return 0;
    }
    if (cfg->show_version) {
        std::puts("rackbootd " RACKBOOT_VERSION);
        return 0;
    }
    return rackboot::control::run_daemon(*cfg);
}
