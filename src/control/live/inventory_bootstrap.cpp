#include "control/live/inventory_bootstrap.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "proto/tftp_path.h"

namespace rackboot::control {

std::string flag_image_name(const std::string& resolved_dir) {
    std::string base = resolved_dir.substr(resolved_dir.find_last_of('/') + 1);
    std::string safe;
    for (char c : base) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == '.';
        if (safe.size() < 40) safe += ok ? c : '-';
    }
    if (safe.empty() || safe[0] == '.') safe = "root" + safe;
    char hash[9];
    std::snprintf(hash, sizeof hash, "%08x", static_cast<unsigned>(proto::fnv1a64(resolved_dir) & 0xffffffffu));
    return "flag-" + safe + "-" + hash;
}

namespace {

// The --board SERIAL=DIR flag written to the store: the image (made once) and the board.
proto::Result<> store_flag_board(const dataplane::BoardTreeSpec& spec, InventoryWrites& writes,
                                 BoardDirectory& directory) {
    InventoryStore& store = writes.store();
    const Actor flag{Actor::Kind::bootstrap, {}, "flag"};
    std::unique_ptr<char, decltype(&std::free)> real(realpath(spec.dir.c_str(), nullptr), &std::free);
    if (!real) {
        return proto::failure("--board " + spec.serial.to_string() + "=" + spec.dir + ": the directory does not exist");
    }
    directory.allow_flag_tree(real.get());  // given now, so served from wherever it lies
    Image img;
    img.name = flag_image_name(real.get());
    img.path = real.get();
    Image existing;
    if (!store.get_image(img.name, existing).ok()) {
        if (Outcome o = writes.create_image(img, flag); !o.ok()) {
            return proto::failure("--board " + spec.serial.to_string() + ": " + o.message);
        }
    }
    Board b;
    if (store.get_board(spec.serial, b).ok()) {
        if (b.image == img.name) return {};
        std::uint64_t before = b.generation;
        b.image = img.name;
        if (Outcome o = writes.replace_board(b, std::nullopt, before, flag); !o.ok()) {
            return proto::failure("--board " + spec.serial.to_string() + ": " + o.message);
        }
        return {};
    }
    b = Board{};
    b.serial = spec.serial;
    b.serial_full = spec.serial.to_string();
    b.image = img.name;
    if (Outcome o = writes.create_board(b, flag); !o.ok()) {
        return proto::failure("--board " + spec.serial.to_string() + ": " + o.message);
    }
    return {};
}

}  // namespace

proto::Result<> bootstrap_directory(const std::vector<dataplane::BoardTreeSpec>& flags, InventoryWrites* writes,
                                    BoardDirectory& directory) {
    for (const dataplane::BoardTreeSpec& spec : flags) {
        if (spec.kind == proto::BootPrefix::Kind::Mac) {
            if (proto::Result<> ok = directory.add_mac_tree(spec); !ok) return ok;
            continue;
        }
        if (writes != nullptr) {
            if (proto::Result<> ok = store_flag_board(spec, *writes, directory); !ok) return ok;
            continue;
        }
        // No store: the flag's board lives in the directory only. Its tree must open.
        if (auto opened = dataplane::TreeHandle::open(spec.dir); !opened) return tl::unexpected(opened.error());
        Image img;
        img.name = flag_image_name(spec.dir);
        img.path = spec.dir;
        directory.allow_flag_tree(spec.dir);
        std::string warning;
        directory.put_image(img, warning);
        Board b;
        b.serial = spec.serial;
        b.image = img.name;
        directory.put_board(b);
    }
    if (writes == nullptr) return {};
    return directory.load(writes->store());
}

}  // namespace rackboot::control
