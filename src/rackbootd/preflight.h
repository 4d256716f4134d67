// What a start needs before it binds or serves, checked in one place so that --check-config (the
// units' gate) refuses exactly what a start would, with the same words: the state directory and
// the inventory in it (not SQLite, a newer schema, not an inventory, not a file), --images-root,
// --roots (a writable directory apart from every tree TFTP serves),
// --listen (an address of this machine), the API token file and the TLS certificate and key.
// A check reads and never writes: what a start would make (the state directory, an empty
// inventory, its own token) is reported as such, not made.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "control/store/inventory_store.h"
#include "dataplane/boot_map.h"
#include "proto/result.h"
#include "rackbootd/config.h"

namespace rackboot::control {

struct Preflight {
    std::unique_ptr<InventoryStore> inventory;  // --state's; null without one (or, checking, not made yet)
    std::shared_ptr<dataplane::TreeHandle> images_root;
    std::string images_real;  // its resolved path
    std::string roots_real;   // --roots, resolved (empty: none)
    std::string token;        // the API token (empty without --state, or checking one a start makes)
    std::string tls_cert;     // PEM texts, when HTTPS
    std::string tls_key;
    std::size_t stored_boards = 0;  // checking: the serials the store holds and --board adds, together
};

// What a start needs, or the reason a start would give (without "rackbootd: ").
[[nodiscard]] proto::Result<Preflight> preflight(const DaemonConfig& cfg, bool check);

}  // namespace rackboot::control
