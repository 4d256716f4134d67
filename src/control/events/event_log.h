// Structured log lines (key=value, one event per line) from the workers' records: finished TFTP
// transfers and handled DHCP requests.
#pragma once

#include <string>

#include "dataplane/dhcp_record.h"
#include "dataplane/transfer_record.h"

namespace rackboot::control {

[[nodiscard]] std::string format_transfer(const dataplane::TransferRecord& r);
[[nodiscard]] std::string format_dhcp(const dataplane::DhcpRecord& r);

}  // namespace rackboot::control
