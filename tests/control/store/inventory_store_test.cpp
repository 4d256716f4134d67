// Boards and images: serial normalisation, the rules a value must meet, the SQLite inventory's
// constraints and generations (ETags), schema migration, and that every write it acknowledged
// survives kill -9 of the writing process.
#include "control/store/inventory_store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "control/store/rendered_files.h"

namespace rackboot::control {
namespace {

namespace fs = std::filesystem;

struct Scratch {
    fs::path dir;
    Scratch() {
        char tmpl[] = "/tmp/rb-inventory.XXXXXX";
        dir = mkdtemp(tmpl);
    }
    ~Scratch() { fs::remove_all(dir); }
    // A store in this directory holding one image, "a".
    std::unique_ptr<InventoryStore> store_with_image() const {
        auto opened = open_sqlite_inventory((dir / "inventory.sqlite").string());
        EXPECT_TRUE(opened) << opened.error().reason;
        std::unique_ptr<InventoryStore> st = opened ? std::move(*opened) : nullptr;
        Image a{"a", ImageKind::dir, "/srv/a", 0};
        EXPECT_TRUE(st && st->create_image(a).ok());
        EXPECT_EQ(a.generation, 1u);
        return st;
    }
};

Board board(std::uint32_t serial) {
    Board b;
    b.serial = proto::Serial(serial);
    b.name = "r12-u" + std::to_string(serial % 100);
    b.labels = {{"rack", "r12"}};
    return b;
}

TEST(Inventory, SerialsNormaliseToTheLow32Bits) {
    std::string full;
    EXPECT_EQ(proto::Serial::parse_full("8F3A21C0", &full), proto::Serial(0x8f3a21c0));
    EXPECT_EQ(full, "8f3a21c0");
    EXPECT_EQ(proto::Serial::parse_full("100000008f3a21c0", &full), proto::Serial(0x8f3a21c0));
    EXPECT_EQ(full, "100000008f3a21c0");
    // A Pi 5's 64-bit serial.
    EXPECT_EQ(proto::Serial::parse_full("2c4f9a1b8f3a21c0", &full), proto::Serial(0x8f3a21c0));
    for (const char* bad : {"", "8f3a21c", "8f3a21c0a", "zz3a21c0", "8f3a21c0-", "100000008f3a21cg"}) {
        EXPECT_FALSE(proto::Serial::parse_full(bad, &full)) << bad;
    }
    EXPECT_EQ(proto::Serial(0xc0).to_string(), "000000c0");
}

TEST(Inventory, BoardRules) {
    EXPECT_TRUE(validate_board(board(1)).ok());
    Board b = board(1);
    b.name = "bad name";
    EXPECT_EQ(validate_board(b).field, "name");
    b = board(1);
    b.labels["rack"] = "a=b";
    EXPECT_EQ(validate_board(b).field, "labels");
    b = board(1);
    b.macs = {Mac{0x01, 0, 0, 0, 0, 1}};  // multicast
    EXPECT_EQ(validate_board(b).field, "macs");
}

TEST(Inventory, BoardStatesAndImageKindsAreSpelledOneWay) {
    for (BoardState s : {BoardState::configured, BoardState::discovered}) EXPECT_EQ(parse_board_state(to_string(s)), s);
    EXPECT_EQ(parse_board_state("lost"), std::nullopt);
    EXPECT_EQ(parse_board_state("Configured"), std::nullopt);
    EXPECT_EQ(parse_image_kind(to_string(ImageKind::dir)), ImageKind::dir);
    EXPECT_EQ(parse_image_kind(to_string(ImageKind::img)), ImageKind::img);
    EXPECT_EQ(parse_image_kind("disk"), std::nullopt);
}

TEST(Inventory, ADiskImageKeepsItsKindAndPartition) {
    Scratch s;
    auto st = s.store_with_image();
    ASSERT_TRUE(st);
    Image two{"two", ImageKind::img, "/srv/two.img", 0};
    two.partition = 2;
    // Templates hold anything: newlines, the encoding's own ':' and ' ', digits first.
    two.files = {{"cmdline.txt", "12:x root=/dev/nbd0p2\nsecond"}, {"overlays/a b.txt", ""}};
    Board b = board(0x5a5a0009);
    b.files = {{"config.txt", "[all]\n9:9 \n"}};
    ASSERT_TRUE(st->create_board(b).ok());
    Image first{"first", ImageKind::img, "/srv/first.img", 0};
    ASSERT_TRUE(st->create_image(two).ok());
    ASSERT_TRUE(st->create_image(first).ok());
    st.reset();
    auto again = open_sqlite_inventory((s.dir / "inventory.sqlite").string());
    ASSERT_TRUE(again);
    std::vector<Image> all;
    ASSERT_TRUE((*again)->list_images(all).ok());
    ASSERT_EQ(all.size(), 3u);  // a, first, two
    EXPECT_EQ(all[0].kind, ImageKind::dir);
    EXPECT_EQ(all[0].partition, std::nullopt);
    EXPECT_EQ(all[1].kind, ImageKind::img);
    EXPECT_EQ(all[1].partition, std::nullopt);
    EXPECT_EQ(all[2].kind, ImageKind::img);
    EXPECT_EQ(all[2].partition, 2u);
    EXPECT_EQ(all[2].files, two.files);
    EXPECT_TRUE(all[1].files.empty());
    Board read;
    ASSERT_TRUE((*again)->get_board(b.serial, read).ok());
    EXPECT_EQ(read.files, b.files);
}

// A board's own files: its image's, then its own over them (one path however it is spelled);
// rendered with the board's values, checked at their longest where DHCP has not given them yet.
TEST(OwnFiles, TheBoardsWinAndEveryRenderingIsCheckedAtItsLongest) {
    Image img{"pi", ImageKind::img, "/srv/pi.img", 1};
    img.files = {{"CMDLINE.TXT", "from the image"}, {"config.txt", "arm_64bit=1"}};
    Board b = board(0x5a5a0001);
    b.files = {{"cmdline.txt", "root=/dev/nbd0p2 nbdroot={server}/{serial} ip={address}"}};
    auto files = effective_files(b, &img);
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(files["cmdline.txt"], b.files["cmdline.txt"]);
    EXPECT_EQ(files["config.txt"], "arm_64bit=1");
    auto v = template_values(b, proto::Ipv4::parse("10.0.0.7"));
    EXPECT_EQ(v[0], "5a5a0001");
    EXPECT_EQ(v[2], "10.0.0.7");
    EXPECT_EQ(v[4], "rack=r12");
    EXPECT_TRUE(check_rendered_files(b, &img).ok());
    // 1024 characters with a 7-character address, but an address not given yet counts as 15.
    std::string base = "root=/dev/nbd0p2 ip={address} x=";
    b.files["cmdline.txt"] = base + std::string(1024 - (base.size() - 9) - 15, 'x');
    EXPECT_TRUE(check_rendered_files(b, &img).ok());
    b.files["cmdline.txt"] += "y";
    Outcome o = check_rendered_files(b, &img);
    EXPECT_EQ(o.field, "files");
    EXPECT_NE(o.message.find("board 5a5a0001: cmdline.txt (its own): cmdline.txt is 1025 characters"),
              std::string::npos)
        << o.message;
    b.ip = proto::Ipv4::parse("10.0.0.7");  // pinned: its own length
    EXPECT_TRUE(check_rendered_files(b, &img).ok());
    // The image's file is named as the image's.
    img.files["config.txt"] = "dtoverlay=" + std::string(89, 'x');
    o = check_rendered_files(b, &img);
    EXPECT_NE(o.message.find("config.txt (image 'pi'): config.txt line 1"), std::string::npos) << o.message;
}

TEST(Inventory, ADiskImageIsAFileBeneathTheRootAndOnlyItHasAPartition) {
    Scratch s;
    fs::create_directories(s.dir / "images/dir");
    std::ofstream(s.dir / "images/pi.img") << "bytes";
    std::string root = fs::canonical(s.dir / "images").string();
    Image ok{"pi", ImageKind::img, root + "/pi.img", 0};
    ok.partition = 1;
    EXPECT_TRUE(validate_image(ok, root).ok());
    Image dir{"d", ImageKind::img, root + "/dir", 0};
    EXPECT_EQ(validate_image(dir, root).field, "path");
    Image on_dir{"d", ImageKind::dir, root + "/dir", 0};
    on_dir.partition = 1;
    EXPECT_EQ(validate_image(on_dir, root).field, "partition");
    Image zero{"z", ImageKind::img, root + "/pi.img", 0};
    zero.partition = 0;
    EXPECT_EQ(validate_image(zero, root).field, "partition");
}

TEST(Inventory, ImagesLieBeneathTheRootAndHoldABootFile) {
    Scratch s;
    fs::create_directories(s.dir / "images/good");
    fs::create_directories(s.dir / "images/empty");
    fs::create_directories(s.dir / "elsewhere");
    std::ofstream(s.dir / "images/good/start4.elf") << "x";
    std::ofstream(s.dir / "elsewhere/start4.elf") << "x";
    fs::create_directory_symlink(s.dir / "elsewhere", s.dir / "images/escape");
    std::string root = (s.dir / "images").string();

    Image ok{"good", ImageKind::dir, root + "/good/", 0};
    ASSERT_TRUE(validate_image(ok, root).ok());
    EXPECT_EQ(ok.path, root + "/good");  // resolved
    Image out{"out", ImageKind::dir, (s.dir / "elsewhere").string(), 0};
    EXPECT_EQ(validate_image(out, root).field, "path");
    Image dots{"dots", ImageKind::dir, root + "/../elsewhere", 0};
    EXPECT_EQ(validate_image(dots, root).field, "path");
    Image link{"link", ImageKind::dir, root + "/escape", 0};  // a symlink out of the root
    EXPECT_EQ(validate_image(link, root).field, "path");
    Image empty{"empty", ImageKind::dir, root + "/empty", 0};
    Outcome o = validate_image(empty, root);
    EXPECT_EQ(o.field, "path");
    EXPECT_NE(o.message.find("no boot file"), std::string::npos);
    Image relative{"rel", ImageKind::dir, "good", 0};
    EXPECT_EQ(validate_image(relative, root).field, "path");
}

TEST(Inventory, StoreKeepsItsConstraints) {
    Scratch s;
    auto st = s.store_with_image();
    ASSERT_TRUE(st);
    Image a{"a", ImageKind::dir, "/srv/a", 0};
    EXPECT_EQ(st->create_image(a).error, ApiError::conflict);

    Board b1 = board(0x8f3a21c0);
    b1.image = "a";
    b1.macs = {Mac{0xdc, 0xa6, 0x32, 1, 2, 3}};
    b1.ip = proto::Ipv4(0x0a000c07);
    ASSERT_TRUE(st->create_board(b1).ok());
    EXPECT_EQ(st->create_board(b1).error, ApiError::conflict);

    Board b2 = board(0x11111111);
    b2.image = "missing";
    EXPECT_EQ(st->create_board(b2).field, "image");
    b2.image.clear();
    b2.macs = b1.macs;
    EXPECT_EQ(st->create_board(b2).field, "macs");  // a MAC belongs to one board
    b2.macs.clear();
    b2.ip = b1.ip;
    EXPECT_EQ(st->create_board(b2).field, "ip");
    b2.ip.reset();
    ASSERT_TRUE(st->create_board(b2).ok());

    // Generations: If-Match must name the current one.
    Board got;
    ASSERT_TRUE(st->get_board(proto::Serial(0x8f3a21c0), got).ok());
    EXPECT_EQ(got.generation, 1u);
    EXPECT_EQ(got.labels.at("rack"), "r12");
    EXPECT_EQ(got.macs, b1.macs);
    EXPECT_EQ(got.ip, b1.ip);
    got.name = "moved";
    ASSERT_TRUE(st->replace_board(got, 1).ok());
    EXPECT_EQ(got.generation, 2u);
    Outcome stale = st->replace_board(got, 1);
    EXPECT_EQ(stale.error, ApiError::precondition_failed);
    EXPECT_EQ(info(stale.error).status, 412u);

    // An image in use is not deleted; then it is.
    EXPECT_EQ(st->delete_image("a", std::nullopt).error, ApiError::conflict);
    got.image.clear();
    ASSERT_TRUE(st->replace_board(got, std::nullopt).ok());
    EXPECT_EQ(st->delete_image("a", 7).error, ApiError::precondition_failed);
    EXPECT_TRUE(st->delete_image("a", 1).ok());
    EXPECT_EQ(st->delete_image("a", std::nullopt).error, ApiError::not_found);

    // The MAC moves with the board: free again once the board is gone.
    ASSERT_TRUE(st->delete_board(proto::Serial(0x8f3a21c0), std::nullopt).ok());
    b2.macs = b1.macs;
    EXPECT_TRUE(st->replace_board(b2, std::nullopt).ok());
}

TEST(Inventory, ListsPageAndFilter) {
    Scratch s;
    auto st = s.store_with_image();
    ASSERT_TRUE(st);
    for (std::uint32_t i = 1; i <= 25; ++i) {
        Board b = board(i);
        b.labels["rack"] = i % 2 == 0 ? "even" : "odd";
        if (i % 5 == 0) b.image = "a";
        ASSERT_TRUE(st->create_board(b).ok());
    }
    std::vector<Board> page;
    std::optional<proto::Serial> after;
    std::size_t seen = 0;
    for (int pages = 0; pages < 10; ++pages) {
        page.clear();
        ASSERT_TRUE(st->list_boards({}, after, 10, page).ok());
        if (page.empty()) break;
        seen += page.size();
        after = page.back().serial;
    }
    EXPECT_EQ(seen, 25u);
    page.clear();
    ASSERT_TRUE(st->list_boards({"rack", "even", "", std::nullopt}, std::nullopt, 100, page).ok());
    EXPECT_EQ(page.size(), 12u);
    page.clear();
    ASSERT_TRUE(st->list_boards({"", "", "a", std::nullopt}, std::nullopt, 100, page).ok());
    EXPECT_EQ(page.size(), 5u);
    page.clear();
    ASSERT_TRUE(st->list_boards({"rack", "ev", "", std::nullopt}, std::nullopt, 100, page).ok());
    EXPECT_TRUE(page.empty());  // a label matches whole, not by prefix
}

// A board's root is recorded and forgotten only by set_root and clear_root: writing the board
// again (replace, a bulk put) keeps it, deleting the board is refused while it has one, and it
// survives the store being opened again.
TEST(Inventory, ABoardsRootChangesOnlyWhenAskedAndBlocksItsDelete) {
    Scratch s;
    auto st = s.store_with_image();
    ASSERT_TRUE(st);
    Board b = board(0x5a5a0001);
    ASSERT_TRUE(st->create_board(b).ok());
    BoardRoot root{RootKind::nbd, "/srv/roots/5a5a0001.img", "a", 4u << 20, 1700000000, "sparse copy"};
    EXPECT_EQ(st->set_root(proto::Serial(0x99999999), root).error, ApiError::not_found);
    ASSERT_TRUE(st->set_root(b.serial, root).ok());
    EXPECT_EQ(st->set_root(b.serial, root).error, ApiError::conflict);
    Board replaced = board(0x5a5a0001);
    replaced.name = "renamed";
    ASSERT_TRUE(st->replace_board(replaced, std::nullopt).ok());
    ASSERT_TRUE(replaced.root);  // the caller's copy says what is stored
    std::vector<Board> bulk{board(0x5a5a0001)};
    std::size_t failed = 0;
    ASSERT_TRUE(st->put_boards(bulk, failed).ok());
    Outcome refused = st->delete_board(b.serial, std::nullopt);
    EXPECT_EQ(refused.error, ApiError::conflict);
    EXPECT_NE(refused.message.find("DELETE /api/v1/boards/5a5a0001/root"), std::string::npos) << refused.message;
    st.reset();
    auto again = open_sqlite_inventory((s.dir / "inventory.sqlite").string());
    ASSERT_TRUE(again);
    Board got;
    ASSERT_TRUE((*again)->get_board(b.serial, got).ok());
    ASSERT_TRUE(got.root);
    EXPECT_EQ(got.root->path, root.path);
    EXPECT_EQ(got.root->image, "a");
    EXPECT_EQ(got.root->size, 4u << 20);
    EXPECT_EQ(got.root->created, 1700000000);
    EXPECT_EQ(got.root->method, "sparse copy");
    std::vector<Board> listed;
    ASSERT_TRUE((*again)->list_boards({}, std::nullopt, 10, listed).ok());
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_TRUE(listed[0].root);
    BoardRoot gone;
    ASSERT_TRUE((*again)->clear_root(b.serial, gone).ok());
    EXPECT_EQ(gone.path, root.path);
    EXPECT_EQ((*again)->clear_root(b.serial, gone).error, ApiError::not_found);
    EXPECT_TRUE((*again)->delete_board(b.serial, std::nullopt).ok());
}

TEST(Inventory, SchemaVersionIsSetAndANewerOneRefused) {
    Scratch s;
    std::string path = (s.dir / "inventory.sqlite").string();
    auto first = open_sqlite_inventory(path);
    ASSERT_TRUE(first) << first.error().reason;
    first->reset();
    auto again = open_sqlite_inventory(path);  // reopening migrates nothing
    ASSERT_TRUE(again) << again.error().reason;
    again->reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(q, 0), kInventorySchemaVersion);
    sqlite3_finalize(q);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto newer = open_sqlite_inventory(path);
    ASSERT_FALSE(newer);
    EXPECT_NE(newer.error().reason.find("newer"), std::string::npos) << newer.error().reason;
}

// Schema 1 (before learnt MACs were kept apart) migrates to 2: its boards keep every field, learn
// is on and nothing is learnt; learnt MACs then round-trip apart from configured ones, at most
// kMaxLearntMacs, most recent first, and a replacement keeps them (observations, not configuration).
TEST(Inventory, LearntMacsAreKeptApartAndSchemaOneMigrates) {
    Scratch s;
    std::string path = (s.dir / "inventory.sqlite").string();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v1 =
        "CREATE TABLE images (name TEXT PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL, generation INTEGER NOT "
        "NULL);"
        "CREATE TABLE boards (serial INTEGER PRIMARY KEY, serial_full TEXT NOT NULL, name TEXT NOT NULL, labels TEXT "
        "NOT NULL, macs TEXT NOT NULL, model TEXT NOT NULL, image TEXT NOT NULL, ip INTEGER, netboot INTEGER NOT NULL, "
        "state TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, last_boot TEXT NOT NULL, "
        "generation INTEGER NOT NULL);"
        "CREATE INDEX boards_image ON boards(image);"
        "CREATE UNIQUE INDEX boards_ip ON boards(ip) WHERE ip IS NOT NULL;"
        "CREATE TABLE board_macs (mac TEXT PRIMARY KEY, serial INTEGER NOT NULL);"
        "INSERT INTO boards VALUES (305441741, '1234abcd', 'victim', '', 'dc:a6:32:00:00:01', 'pi4', '', NULL, 1, "
        "'configured', 5, 6, '', 3);"
        "INSERT INTO board_macs VALUES ('dc:a6:32:00:00:01', 305441741);"
        "PRAGMA user_version=1;";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto opened = open_sqlite_inventory(path);
    ASSERT_TRUE(opened) << opened.error().reason;
    std::unique_ptr<InventoryStore> st = std::move(*opened);
    Board b;
    ASSERT_TRUE(st->get_board(proto::Serial(0x1234abcd), b).ok());
    EXPECT_EQ(b.name, "victim");
    ASSERT_EQ(b.macs.size(), 1u);
    EXPECT_EQ(b.generation, 3u);
    EXPECT_TRUE(b.learn);
    EXPECT_TRUE(b.learnt_macs.empty());
    // It lists a MAC: a sighting from another MAC is not learnt onto it.
    Observation o;
    o.seen = 100;
    o.learnt_mac = LearntMac{Mac::from_key(0x026666000001), 100, 100, "relay 10.0.0.1"};
    bool learnt = true;
    ASSERT_TRUE(st->observe_board(proto::Serial(0x1234abcd), o, &learnt).ok());
    EXPECT_FALSE(learnt);
    ASSERT_TRUE(st->get_board(proto::Serial(0x1234abcd), b).ok());
    EXPECT_TRUE(b.learnt_macs.empty());
    EXPECT_EQ(b.generation, 3u);
    // A board that lists none learns, up to kMaxLearntMacs, the latest first, first_seen kept.
    Board open = board(0x0badc0de);
    ASSERT_TRUE(st->create_board(open).ok());
    for (std::uint64_t i = 0; i < kMaxLearntMacs + 2; ++i) {
        o.learnt_mac = LearntMac{Mac::from_key(0x020000000000 + i), 200 + static_cast<std::int64_t>(i),
                                 200 + static_cast<std::int64_t>(i), "interface eth1"};
        ASSERT_TRUE(st->observe_board(proto::Serial(0x0badc0de), o, &learnt).ok());
        EXPECT_TRUE(learnt);
    }
    o.learnt_mac = LearntMac{Mac::from_key(0x020000000005), 900, 900, "interface eth2"};
    ASSERT_TRUE(st->observe_board(proto::Serial(0x0badc0de), o, &learnt).ok());
    ASSERT_TRUE(st->get_board(proto::Serial(0x0badc0de), b).ok());
    ASSERT_EQ(b.learnt_macs.size(), kMaxLearntMacs);
    EXPECT_EQ(b.learnt_macs[0].mac.to_string(), "02:00:00:00:00:05");
    EXPECT_EQ(b.learnt_macs[0].first_seen, 205);
    EXPECT_EQ(b.learnt_macs[0].last_seen, 900);
    EXPECT_EQ(b.learnt_macs[0].from, "interface eth2");
    EXPECT_EQ(b.learnt_macs[1].mac.to_string(), "02:00:00:00:00:04");
    EXPECT_TRUE(b.macs.empty());
    EXPECT_EQ(b.generation, 1u);
    // A replacement keeps what was learnt; a MAC it configures is no longer shown as learnt.
    Board put = board(0x0badc0de);
    put.macs.push_back(Mac::from_key(0x020000000004));
    ASSERT_TRUE(st->replace_board(put, std::nullopt).ok());
    ASSERT_TRUE(st->get_board(proto::Serial(0x0badc0de), b).ok());
    ASSERT_EQ(b.learnt_macs.size(), kMaxLearntMacs - 1);
    for (const LearntMac& l : b.learnt_macs) EXPECT_NE(l.mac.to_string(), "02:00:00:00:00:04");
    // Locked: nothing learnt.
    put.learn = false;
    put.macs.clear();
    ASSERT_TRUE(st->replace_board(put, std::nullopt).ok());
    o.learnt_mac = LearntMac{Mac::from_key(0x0200000000ff), 1000, 1000, "direct"};
    ASSERT_TRUE(st->observe_board(proto::Serial(0x0badc0de), o, &learnt).ok());
    EXPECT_FALSE(learnt);
    ASSERT_TRUE(st->get_board(proto::Serial(0x0badc0de), b).ok());
    EXPECT_FALSE(b.learn);
    for (const LearntMac& l : b.learnt_macs) EXPECT_NE(l.mac.to_string(), "02:00:00:00:00:ff");
}

// A writer process creates boards and reports each one the store acknowledged over a pipe; it is
// killed with SIGKILL at a random moment. Every acknowledged board must be there after reopening.
TEST(Inventory, AcknowledgedWritesSurviveKill9) {
    Scratch s;
    std::string path = (s.dir / "inventory.sqlite").string();
    std::uint32_t next = 1;
    for (int round = 0; round < 100; ++round) {
        int fds[2];
        ASSERT_EQ(pipe(fds), 0);
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            auto opened = open_sqlite_inventory(path);
            if (!opened) _exit(2);
            std::unique_ptr<InventoryStore> st = std::move(*opened);
            for (std::uint32_t i = next;; ++i) {
                Board b = board(i);
                if (!st->create_board(b).ok()) _exit(3);
                if (write(fds[1], &i, sizeof i) != sizeof i) _exit(4);
            }
        }
        close(fds[1]);
        // The kill lands at a random moment once the writer is writing (its first acknowledgement
        // read first), so every round writes something however slow the machine (a sanitized
        // build beside a compiler once managed 13 boards in 100 rounds of a fixed window).
        std::uint32_t acked = next - 1;
        std::uint32_t v = 0;
        if (read(fds[0], &v, sizeof v) == sizeof v) acked = v;
        usleep(static_cast<useconds_t>(2000 + (round * 7919) % 20000));
        kill(pid, SIGKILL);
        while (read(fds[0], &v, sizeof v) == sizeof v) acked = v;
        close(fds[0]);
        waitpid(pid, nullptr, 0);
        auto opened = open_sqlite_inventory(path);
        ASSERT_TRUE(opened) << opened.error().reason;
        std::unique_ptr<InventoryStore> st = std::move(*opened);
        for (std::uint32_t i = 1; i <= acked; ++i) {
            Board got;
            ASSERT_TRUE(st->get_board(proto::Serial(i), got).ok())
                << "round " << round << ": board " << i << " of " << acked << " acknowledged is gone";
        }
        // The next round starts past whatever the killed writer may have committed unacknowledged.
        std::vector<Board> all;
        ASSERT_TRUE(st->list_boards({}, proto::Serial(acked), 1000000, all).ok());
        next = all.empty() ? acked + 1 : all.back().serial.value() + 1;
    }
    EXPECT_GT(next, 100u) << "the writers hardly wrote: the test proved little";
}

}  // namespace
}  // namespace rackboot::control
