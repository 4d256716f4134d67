// Start-up: the live board directory from the inventory and the --board flags. Flags keep
// working as a bootstrap: --board SERIAL=DIR creates or updates that board in the store (its
// image named after the directory), so the API then shows and changes it; without --state they
// go to the directory alone. --board MAC=DIR maps a MAC prefix, outside the store.
#pragma once

#include <string>
#include <vector>

#include "control/live/board_directory.h"
#include "control/store/inventory_store.h"
#include "control/store/inventory_writes.h"
#include "dataplane/boot_map.h"

namespace rackboot::control {

// `writes` (over the store) may be null (no --state): the flags' boards then live in the directory
// only. The flags' boards and images are written through the one write path (actor "bootstrap"),
// then the directory reads the whole store. A failure's reason names the flag or the store.
[[nodiscard]] proto::Result<> bootstrap_directory(const std::vector<dataplane::BoardTreeSpec>& flags,
                                                  InventoryWrites* writes, BoardDirectory& directory);

// The image name a --board directory gets: "flag-" + its last component + a short hash of the
// whole path, so two directories never share a name.
[[nodiscard]] std::string flag_image_name(const std::string& resolved_dir);

}  // namespace rackboot::control
