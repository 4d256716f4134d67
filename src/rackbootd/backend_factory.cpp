#include "rackbootd/backend_factory.h"

#include "dataplane/socket/socket_backend.h"
#ifdef RACKBOOT_HAVE_DPDK
#include "dataplane/dpdk/dpdk_backend.h"
#include "dataplane/dpdk/qsbr_domain.h"
#endif

namespace rackboot::control {

proto::Result<std::unique_ptr<dataplane::Backend>> make_backend(const dataplane::BackendCommon& common,
                                                                const BackendOptions& options) {
    if (const auto* s = std::get_if<dataplane::SocketOptions>(&options)) {
        auto made = dataplane::SocketBackend::create(common, *s);
        if (!made) return tl::unexpected(made.error());
        return std::unique_ptr<dataplane::Backend>(std::move(*made));
    }
#ifdef RACKBOOT_HAVE_DPDK
    auto made = dataplane::DpdkBackend::create(common, std::get<dataplane::DpdkOptions>(options));
    if (!made) return tl::unexpected(made.error());
    return std::unique_ptr<dataplane::Backend>(std::move(*made));
#else
    return proto::failure("--backend dpdk: this rackbootd was built without DPDK (-DRACKBOOT_DPDK=OFF)");
#endif
}

std::unique_ptr<dataplane::QuiescentDomain> make_quiescent_domain(const BackendOptions& options, unsigned workers) {
#ifdef RACKBOOT_HAVE_DPDK
    if (std::holds_alternative<dataplane::DpdkOptions>(options)) return dataplane::make_qsbr_domain(workers);
#endif
    (void)options;
    return std::make_unique<dataplane::EpochDomain>(workers);
}

}  // namespace rackboot::control
