// Structured log lines (key=value, one per finished transfer) from worker transfer records.
#pragma once

#include <string>

#include "dataplane/transfer_record.h"

namespace rackboot::control {

[[nodiscard]] std::string format_transfer(const dataplane::TransferRecord& r);

}  // namespace rackboot::control
