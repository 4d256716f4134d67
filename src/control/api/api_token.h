// The API's bearer token: read from --api-token-file, or kept in DIR/api-token under --state and
// made (256 random bits, mode 0600) on the first start without one. A token file that others
// than its owner may read is refused: it grants writes to the inventory.
#pragma once

#include <string>

#include "proto/result.h"

namespace rackboot::control {

// The token at `path`; when it does not exist and `create` is set, one made there.
[[nodiscard]] proto::Result<std::string> load_api_token(const std::string& path, bool create);

}  // namespace rackboot::control
