// What a board's own files are and what they render to (issue 21): its image's files, then its
// own over them; the values of the template variables for the board; and the check, before a
// board or an image is saved, that nothing the board is served would be cut by the firmware
// (proto/pi_file_limits.h), naming the board, the file and the line.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>

#include "control/store/inventory.h"
#include "proto/file_template.h"

namespace rackboot::control {

// A board's files: `image`'s (may be null), then the board's own over the same paths.
[[nodiscard]] std::map<std::string, std::string> effective_files(const Board& board, const Image* image);

// The variables' values for `board` (TemplateVar order): `address` its address if known, else
// empty; `mac` its first configured MAC, else `learnt`'s first; {root} its root's reference
// (root_reference: the NBD export, or the NFS path) when it has a root, else empty; {server} is left empty (each
// request's own).
[[nodiscard]] std::array<std::string, proto::kTemplateVars> template_values(const Board& board,
                                                                            std::optional<proto::Ipv4> address);

// Renders every file `board` is served of its own and checks what the firmware would cut. An
// address and a server the board has not been given yet, and a MAC it has not shown, are taken
// at their longest ("255.255.255.255", 17 characters), so a board stays servable whatever DHCP
// gives it. The reason names the board and file.
[[nodiscard]] Outcome check_rendered_files(const Board& board, const Image* image);

}  // namespace rackboot::control
