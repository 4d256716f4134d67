// Boards and images, the live state the control plane manages (DESIGN.md, "Control plane"), and
// the rules a value must meet before it is stored: a board's key is the serial as the firmware
// puts it in TFTP paths (8 lowercase hex digits; a 16-digit Pi 5 serial or 10000000xxxxxxxx is
// taken by its low 32 bits, the full form kept); an image is a directory beneath --images-root
// that holds a boot file.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/store/api_error.h"
#include "proto/ipv4.h"
#include "proto/mac.h"
#include "proto/serial.h"

namespace rackboot::control {

using proto::Mac;

// How a board came to be: made by the operator (the API, an import, a --board flag) or discovered
// from DHCP (--auto-discover). Spelled as here in the API and the store.
enum class BoardState : std::uint8_t { configured, discovered };
[[nodiscard]] std::string_view to_string(BoardState s) noexcept;
[[nodiscard]] std::optional<BoardState> parse_board_state(std::string_view text) noexcept;

// What an image is: a directory of boot files, or a disk image file (`img`) whose boot partition is
// served in place (src/image).
enum class ImageKind : std::uint8_t { dir, img };
[[nodiscard]] std::string_view to_string(ImageKind k) noexcept;
[[nodiscard]] std::optional<ImageKind> parse_image_kind(std::string_view text) noexcept;

struct Image {
    std::string name;
    ImageKind kind = ImageKind::dir;
    std::string path;  // absolute, beneath --images-root
    std::uint64_t generation = 0;
    std::optional<unsigned> partition;  // img: the partition served; unset: the first FAT one
    // Files of its own (path -> template, proto/file_template.h), served instead of the tree's to
    // every board on it that has no file of its own at that path.
    std::map<std::string, std::string> files;
};

// A MAC a board learnt from DHCP (option 97 carried its serial): an observation, shown apart from
// the MACs the operator configured and never one of them by itself. Only a board that lists no
// MACs learns any (one that lists some is matched by those alone).
struct LearntMac {
    Mac mac{};
    std::int64_t first_seen = 0;  // unix seconds
    std::int64_t last_seen = 0;
    std::string from;  // where the DHCP message came from: "relay 10.1.0.1", "interface eth1", "direct"
};

// A board's own root (issue 21), reached only from the board's own addresses, removed only when
// asked: nbd, a disk of its own made from its img image (reflinked where the file system can,
// else a sparse copy) beneath --roots and exported over NBD; or nfs, a directory the host
// provides beneath --roots (rackboot never builds or removes it), exported over NFS. {root} in
// the board's files names it: the NBD export, or the NFS path.
enum class RootKind : std::uint8_t { nbd, nfs };
[[nodiscard]] std::string_view to_string(RootKind k) noexcept;
[[nodiscard]] std::optional<RootKind> parse_root_kind(std::string_view text) noexcept;

// The NBD export every board's root is reached by ({root} in its files: nbdroot=SERVER/root);
// nbd-server picks the disk by the address that connects (control/roots/nbd_server.h).
inline constexpr const char* kNbdRootExport = "root";

struct BoardRoot {
    RootKind kind = RootKind::nbd;
    std::string path;             // nbd: the disk; nfs: the directory (both beneath --roots)
    std::string image;            // nbd: the image it was made from
    std::uint64_t size = 0;       // nbd: bytes
    std::int64_t created = 0;     // unix seconds
    std::string method;           // nbd: "reflink" or "sparse copy"; nfs: "export"
    std::uint16_t export_id = 0;  // nfs: the NFS server's Export_Id (1-65535), kept for the root's life
};

// What {root} renders for a board with this root.
[[nodiscard]] std::string root_reference(const BoardRoot& root);

// What a client asks for (POST /api/v1/boards/SERIAL/root).
struct RootRequest {
    RootKind kind = RootKind::nbd;
    std::uint64_t size = 0;  // nbd: the disk's size (sparse past the image); 0: the image's
    std::string path;        // nfs: the board's directory
};

struct Board {
    proto::Serial serial;     // the key: the low 32 bits, as in TFTP paths
    std::string serial_full;  // as given (8 or 16 hex digits, lowercase)
    std::string name;
    std::map<std::string, std::string> labels;
    std::vector<Mac> macs;               // configured: a board that lists any is matched by them alone
    std::vector<LearntMac> learnt_macs;  // observed, most recent first, at most kMaxLearntMacs
    bool learn = true;                   // false: locked, nothing is learnt onto it
    std::string model;                   // learnt or set: "pi3", "pi4", "pi5" or free text
    std::string image;                   // an image's name; empty: the default tree
    std::optional<proto::Ipv4> ip;
    bool netboot = true;
    BoardState state = BoardState::configured;
    std::int64_t first_seen = 0;  // unix seconds; 0: never
    std::int64_t last_seen = 0;
    std::string last_boot;
    std::map<std::string, std::string> files;  // its own files (path -> template); win over its image's
    std::optional<BoardRoot> root;             // its own root; set and removed only by set_root/clear_root
    std::uint64_t generation = 0;
};

inline constexpr std::size_t kMaxLearntMacs = 4;

// True when `path` lies strictly beneath `root` (both absolute and resolved), by their text.
[[nodiscard]] bool path_beneath(std::string_view path, std::string_view root);

// The checks a board must pass whatever the store holds (names, labels, MACs are well-formed; its
// files as validate_files says).
[[nodiscard]] Outcome validate_board(const Board& b);
// Files of a board or an image: at most kMaxOwnFiles, each a path a Pi can ask for (relative,
// no '..', printable) and a template that compiles (known variables, braces paired). What they
// render to for a board is checked apart (rendered_files.h).
inline constexpr std::size_t kMaxOwnFiles = 32;
[[nodiscard]] Outcome validate_files(const std::map<std::string, std::string>& files);
// An image: a safe name and a path that resolves (symlinks followed) beneath `images_root`: for
// "dir", a directory that holds a boot file (start4.elf, start.elf, bootcode.bin, config.txt or
// kernel8.img); for "img", a regular file (whether its boot partition can be served is the live
// directory's check: BoardDirectory::prepare_image). A partition only for "img", 1-128. Sets
// `path` to the resolved form.
[[nodiscard]] Outcome validate_image(Image& image, const std::string& images_root);

}  // namespace rackboot::control
