// The fleet from an inventory (issue 23): rackboot-swarm boots the boards an operator has, their
// serials and MACs, instead of a made-up fleet. Read from a file (--boards) or from rackbootd's
// API (--from-api). A listing is either rackbootd's boards as JSON (rackbootctl --json boards ls,
// or the API's pages: {"items": [...]}) or lines of "SERIAL MAC [MODEL]" (what --list-fleet
// prints; '#' starts a comment). A board's model is its own ("pi3", "pi4", "pi5"), else its MAC's
// (a Pi 3's OUI b8:27:eb, a Pi 5's 2c:cf:67), else a Pi 4. A board with no MAC (the server
// learns it at the first boot) gets one made from its model's OUI and its place in the listing;
// a Pi 3 cannot (its boot ROM sends no serial): it is left out, with a note.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/pi_dhcp_client.h"
#include "proto/result.h"
#include "swarm/options.h"

namespace rackboot::swarm {

struct Inventory {
    std::vector<proto::FakePi> pis;
    std::vector<std::string> notes;  // boards left out or given a MAC, one line each
};

// Refused with the line (or board) that is wrong, or when two boards share a serial or a MAC.
[[nodiscard]] proto::Result<Inventory> parse_inventory(std::string_view text);
// Every board of rackbootd's API at `url` (http://ADDR:PORT, or a /api/v1/boards URL with its
// filters, e.g. ?label=rack=r12), page after page, as one JSON document {"items": [...]}.
[[nodiscard]] proto::Result<std::string> fetch_boards(const std::string& url);
// --boards or --from-api: the inventory read into `o.fleet` (and `o.pis`; every board reported
// in the JSON), its notes returned. Refused (exit code 2) when it cannot be read or holds nothing.
[[nodiscard]] proto::Result<std::vector<std::string>> load_inventory(SwarmOptions& o);

}  // namespace rackboot::swarm
