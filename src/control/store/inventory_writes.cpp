#include "control/store/inventory_writes.h"

#include <cstdio>

#include "control/store/rendered_files.h"

namespace rackboot::control {

namespace {

constexpr const char* kBoards = "/api/v1/boards/";
constexpr const char* kImages = "/api/v1/images/";

const char* kind_text(Actor::Kind k) {
    switch (k) {
        case Actor::Kind::token: return "token";
        case Actor::Kind::learner: return "learner";
        case Actor::Kind::bootstrap: return "bootstrap";
    }
    return "unknown";
}

}  // namespace

void InventoryWrites::audit(const Actor& who, const std::string& resource, std::uint64_t before,
                            std::uint64_t after) const {
    std::string line = "event=audit actor=";
    line += kind_text(who.kind);
    if (who.kind == Actor::Kind::token) line += " token=" + who.id;
    line += " method=" + who.action + " resource=" + resource + " generation_before=" + std::to_string(before) +
            " generation_after=" + std::to_string(after);
    if (audit_sink_) {
        audit_sink_(line);
        return;
    }
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

Outcome InventoryWrites::files_servable(const Board& board, std::map<std::string, Image>* seen) {
    if (board.files.empty() && board.image.empty()) return {};
    Image image;
    bool has_image = false;
    if (!board.image.empty()) {
        // A bulk write reads each image once.
        auto it = seen != nullptr ? seen->find(board.image) : std::map<std::string, Image>::iterator{};
        if (seen != nullptr && it != seen->end()) {
            image = it->second;
            has_image = !image.name.empty();
        } else {
            has_image = store_.get_image(board.image, image).ok();
            if (seen != nullptr) (*seen)[board.image] = has_image ? image : Image{};
        }
    }
    if (board.files.empty() && (!has_image || image.files.empty())) return {};
    return check_rendered_files(board, has_image ? &image : nullptr);
}

Outcome InventoryWrites::create_board(Board& board, const Actor& who) {
    if (Outcome o = files_servable(board); !o.ok()) return o;
    Outcome o = store_.create_board(board);
    if (!o.ok()) return o;
    if (live_ != nullptr) live_->board_changed(board);
    audit(who, kBoards + board.serial.to_string(), 0, board.generation);
    return o;
}

Outcome InventoryWrites::replace_board(Board& board, std::optional<std::uint64_t> if_match, std::uint64_t before,
                                       const Actor& who) {
    if (Outcome o = files_servable(board); !o.ok()) return o;
    Outcome o = store_.replace_board(board, if_match);
    if (!o.ok()) return o;
    if (live_ != nullptr) live_->board_changed(board);
    audit(who, kBoards + board.serial.to_string(), before, board.generation);
    return o;
}

Outcome InventoryWrites::set_root(proto::Serial serial, const BoardRoot& root, Board& out, const Actor& who) {
    // What {root} renders to is part of what the board is served: checked whole, as any write.
    Board with;
    if (Outcome o = store_.get_board(serial, with); !o.ok()) return o;
    with.root = root;
    if (Outcome o = files_servable(with); !o.ok()) return o;
    if (Outcome o = store_.set_root(serial, root); !o.ok()) return o;
    if (Outcome o = store_.get_board(serial, out); !o.ok()) return o;
    if (live_ != nullptr) live_->board_changed(out);
    audit(who, kBoards + serial.to_string() + "/root", out.generation, out.generation);
    return {};
}

Outcome InventoryWrites::clear_root(proto::Serial serial, BoardRoot& out, const Actor& who) {
    if (Outcome o = store_.clear_root(serial, out); !o.ok()) return o;
    Board now;
    if (store_.get_board(serial, now).ok()) {
        if (live_ != nullptr) live_->board_changed(now);
        audit(who, kBoards + serial.to_string() + "/root", now.generation, now.generation);
    }
    return {};
}

Outcome InventoryWrites::delete_board(proto::Serial serial, std::optional<std::uint64_t> if_match, const Actor& who) {
    Board old;
    (void)store_.get_board(serial, old);
    Outcome o = store_.delete_board(serial, if_match);
    if (!o.ok()) return o;
    if (live_ != nullptr) live_->board_removed(serial);
    audit(who, kBoards + proto::Serial(serial).to_string(), old.generation, 0);
    return o;
}

Outcome InventoryWrites::put_boards(std::vector<Board>& boards, std::size_t& failed, const Actor& who) {
    std::vector<std::uint64_t> before(boards.size());
    std::map<std::string, Image> images;
    for (std::size_t i = 0; i < boards.size(); ++i) {
        before[i] = boards[i].generation;
        if (Outcome o = files_servable(boards[i], &images); !o.ok()) {
            failed = i;
            return o;
        }
    }
    Outcome o = store_.put_boards(boards, failed);
    if (!o.ok()) return o;
    if (live_ != nullptr) live_->boards_changed(boards);
    for (std::size_t i = 0; i < boards.size(); ++i) {
        audit(who, kBoards + boards[i].serial.to_string(), before[i], boards[i].generation);
    }
    return o;
}

Outcome InventoryWrites::discover_board(Board& board, const Actor& who) {
    Outcome o = store_.create_board(board);
    if (!o.ok()) return o;
    if (live_ != nullptr) live_->board_discovered(board);
    audit(who, kBoards + board.serial.to_string(), 0, board.generation);
    return o;
}

Outcome InventoryWrites::create_image(Image& image, const Actor& who) {
    // No board is on a new image yet: its files are checked for one with no name or labels (each
    // board's own values are checked when a board is put on it).
    Board any;
    any.serial = proto::Serial(0xffffffffu);
    if (Outcome o = check_rendered_files(any, &image); !o.ok()) return o;
    Outcome o = store_.create_image(image);
    if (!o.ok()) return o;
    if (live_ != nullptr) live_->image_changed(image);
    audit(who, kImages + image.name, 0, image.generation);
    return o;
}

Outcome InventoryWrites::set_image_files(const std::string& name, const std::map<std::string, std::string>& files,
                                         std::optional<std::uint64_t> if_match, Image& out, const Actor& who) {
    if (Outcome o = validate_files(files); !o.ok()) return o;
    Image image;
    if (Outcome o = store_.get_image(name, image); !o.ok()) return o;
    std::uint64_t before = image.generation;
    image.files = files;
    Board any;
    any.serial = proto::Serial(0xffffffffu);
    if (Outcome o = check_rendered_files(any, &image); !o.ok()) return o;
    // Every board on it, with its own values: none may be served a file the firmware would cut.
    BoardFilter on;
    on.image = name;
    std::optional<proto::Serial> after;
    for (;;) {
        std::vector<Board> page;
        if (Outcome o = store_.list_boards(on, after, 1000, page); !o.ok()) return o;
        for (const Board& b : page) {
            if (Outcome o = check_rendered_files(b, &image); !o.ok()) return o;
        }
        if (page.size() < 1000) break;
        after = page.back().serial;
    }
    if (Outcome o = store_.set_image_files(name, files, if_match, out); !o.ok()) return o;
    if (live_ != nullptr) live_->image_changed(out);
    audit(who, kImages + name, before, out.generation);
    return {};
}

Outcome InventoryWrites::delete_image(const std::string& name, std::optional<std::uint64_t> if_match,
                                      const Actor& who) {
    Image old;
    (void)store_.get_image(name, old);
    Outcome o = store_.delete_image(name, if_match);
    if (!o.ok()) return o;
    if (live_ != nullptr) live_->image_removed(name);
    audit(who, kImages + name, old.generation, 0);
    return o;
}

}  // namespace rackboot::control
