// The TFTP table: every Pi sequence of PI-BOOT.md, as the Pi sends it and as the server must
// answer, plus the protocol's refusals. Ports: each Pi socket is a client port; `kListen` is the
// server's port 69 and 0, 1, ... the TIDs it opens, in order.
#include <algorithm>
#include <string>

#include "support/tftp_table.h"

namespace rackboot::test {

namespace {

// A lock-step fetch's exchange after the first DATA (or after ACK 0 of an OACK): ACK n -> DATA
// n+1 up to the last block, then the final ACK. Inputs start at `at_ms`, one per millisecond.
void lock_step(TftpCase& c, std::uint16_t port, int tid, std::string_view file, std::uint16_t blksize,
               std::uint16_t first_acked, std::uint32_t at_ms, std::uint32_t step_ms = 1) {
    std::size_t size = boot_file(file).size();
    auto blocks = static_cast<std::uint16_t>(size / blksize + 1);
    for (std::uint16_t b = first_acked; b < blocks; ++b) {
        c.in.push_back({at_ms, port, tid, ack(b)});
        c.out.push_back({port, tid, data(file, static_cast<std::uint16_t>(b + 1), blksize)});
        at_ms += step_ms;
    }
    c.in.push_back({at_ms, port, tid, ack(blocks)});
}

// Admission's cases (path_admission.h): a slow transfer sets the measured rate. kernel8.img
// (3000 bytes) in 8-byte blocks: ACK 0 at t = 1, ACK 1 a millisecond after DATA 1, then ACK n at
// 4n - 2: 2,000 bytes/s, measured once a whole second has passed, done at t = 1502. Its round
// trip grows from 1 to 4 ms as a queue's would: the path is what limits it, so admission plans
// with the rate as measured (no probing). The other transfers' datagrams come at times it sends
// none, so the order is fixed. With `floor` 1 the next transfer is checked against the rate.
TftpAdmission slow_path(std::uint32_t target_ms, std::uint32_t file_timeout_ms) {
    return TftpAdmission{true, target_ms, file_timeout_ms, 1, 1};
}

void slow_transfer(TftpCase& c, std::uint16_t port) {
    const std::string_view file = "kernel8.img";
    c.in.push_back({0, port, kListen, rrq(file, {{"blksize", "8"}})});
    c.out.push_back({port, 0, oack({{"blksize", "8"}})});
    c.in.push_back({1, port, 0, ack(0)});
    c.out.push_back({port, 0, data(file, 1, 8)});
    for (std::uint16_t b = 1; b < 376; ++b) {
        c.in.push_back({4u * b - 2, port, 0, ack(b)});
        c.out.push_back({port, 0, data(file, static_cast<std::uint16_t>(b + 1), 8)});
    }
    c.in.push_back({4u * 376 - 2, port, 0, ack(376)});
}

void by_time(TftpCase& c) {
    std::stable_sort(c.in.begin(), c.in.end(), [](const TftpIn& a, const TftpIn& b) { return a.at_ms < b.at_ms; });
}

// The expected datagrams in the order they leave (those of one instant in the order written).
void sends_by_time(TftpCase& c) {
    std::stable_sort(c.out.begin(), c.out.end(), [](const TftpOut& a, const TftpOut& b) { return a.at_ms < b.at_ms; });
}

std::vector<TftpCase> build() {
    std::vector<TftpCase> cases;

    {
        TftpCase c{"Pi 3 ROM: bootcode.bin with no options, 512-byte blocks in lock step", {}, 100, {}, {}};
        c.in.push_back({0, 1000, kListen, rrq("bootcode.bin")});
        c.out.push_back({1000, 0, data("bootcode.bin", 1, 512)});
        lock_step(c, 1000, 0, "bootcode.bin", 512, 1, 1);
        c.counters = {{"rrq_received", 1}, {"result.complete", 1}, {"tftp_bytes", 1100}, {"retransmits", 0}};
        cases.push_back(std::move(c));
    }
    {
        TftpCase c{"Pi 3 ROM: bootsig.bin is expected missing, then the serial probe and config.txt", {}, 100, {}, {}};
        c.in.push_back({0, 1001, kListen, rrq("bootsig.bin", {{"tsize", "0"}})});
        c.out.push_back({1001, 0, error(1, "file not found")});
        c.in.push_back({5, 1002, kListen, rrq("0badf00d/start.elf", {{"tsize", "0"}})});
        c.out.push_back({1002, 1, error(1, "file not found")});
        c.in.push_back({10, 1003, kListen, rrq("config.txt", {{"tsize", "0"}})});
        c.out.push_back({1003, 2, oack({{"tsize", "40"}})});
        c.in.push_back({11, 1003, 2, ack(0)});
        c.out.push_back({1003, 2, data("config.txt", 1, 512)});
        c.in.push_back({12, 1003, 2, ack(1)});
        c.counters = {{"drop.not_found", 2}, {"result.not_found", 2}, {"result.error", 0}, {"result.complete", 1}};
        cases.push_back(std::move(c));
    }
    {
        TftpCase c{"Pi 4 EEPROM: probe aborted by ERROR, then the same file again from a new port", {}, 3000, {}, {}};
        c.in.push_back({0, 2000, kListen, rrq("start4.elf", {{"tsize", "0"}, {"blksize", "1024"}})});
        c.out.push_back({2000, 0, oack({{"blksize", "1024"}, {"tsize", "2500"}})});
        c.in.push_back({2, 2000, 0, error(0, "Early terminate")});
        c.in.push_back({3, 2001, kListen, rrq("start4.elf", {{"tsize", "0"}, {"blksize", "1024"}})});
        c.out.push_back({2001, 1, oack({{"blksize", "1024"}, {"tsize", "2500"}})});
        lock_step(c, 2001, 1, "start4.elf", 1024, 0, 4);
        c.counters = {{"quirk.probe_abort", 1}, {"quirk.probe_restart", 1}, {"result.probe", 1},
                      {"result.aborted", 0},    {"result.complete", 1},     {"result.error", 0},
                      {"result.timeout", 0},    {"retransmits", 0}};
        cases.push_back(std::move(c));
    }
    {
        TftpCase c{"Pi 4 EEPROM: probe aborted by silence, then restarted; the abandoned OACK is never resent",
                   {},
                   5000,
                   {},
                   {}};
        c.in.push_back({0, 2100, kListen, rrq("start4.elf", {{"tsize", "0"}, {"blksize", "1024"}})});
        c.out.push_back({2100, 0, oack({{"blksize", "1024"}, {"tsize", "2500"}})});
        c.in.push_back({100, 2101, kListen, rrq("start4.elf", {{"tsize", "0"}, {"blksize", "1024"}})});
        c.out.push_back({2101, 1, oack({{"blksize", "1024"}, {"tsize", "2500"}})});
        lock_step(c, 2101, 1, "start4.elf", 1024, 0, 101);
        c.counters = {{"quirk.probe_abort", 1},     {"quirk.probe_restart", 1}, {"result.complete", 1},
                      {"result.probe", 1},          {"result.aborted", 0},      {"result.timeout", 0},
                      {"result.unacknowledged", 0}, {"retransmits", 0},         {"active_transfers", 0}};
        cases.push_back(std::move(c));
    }
    {
        // A probe that goes silent with no restart: the OACK is resent on the retransmit timer
        // (the Pi may only have lost it), and when the retries run out the transfer ends, its slot
        // free again. Its client never answered nor asked again, as a spoofed request would not:
        // unacknowledged, not a probe (the quirk still counts the habit).
        TftpCase c{"Pi 4 EEPROM: probe aborted by silence, no restart: OACK resent, then counted as a probe",
                   {},
                   30000,
                   {},
                   {}};
        c.in.push_back({0, 2200, kListen, rrq("start4.elf", {{"tsize", "0"}, {"blksize", "1024"}})});
        for (std::int32_t at : {0, 1000, 3000, 7000, 11000, 15000}) {
            c.out.push_back({2200, 0, oack({{"blksize", "1024"}, {"tsize", "2500"}}), at});
        }
        c.counters = {{"quirk.probe_abort", 1}, {"result.unacknowledged", 1}, {"result.aborted", 0},
                      {"result.timeout", 0},    {"retransmits", 5},           {"active_transfers", 0}};
        cases.push_back(std::move(c));
    }
    {
        TftpCase c{"RRQ race (firmware#1700): RRQ, OACK, ACK 0, then a second RRQ from a new port 7 ms later",
                   {},
                   5000,
                   {},
                   {}};
        c.in.push_back({0, 3000, kListen, rrq("start4.elf", {{"tsize", "0"}, {"blksize", "1468"}})});
        c.out.push_back({3000, 0, oack({{"blksize", "1468"}, {"tsize", "2500"}})});
        c.in.push_back({1, 3000, 0, ack(0)});
        c.out.push_back({3000, 0, data("start4.elf", 1, 1468)});
        c.in.push_back({8, 3001, kListen, rrq("start4.elf", {{"tsize", "0"}, {"blksize", "1468"}})});
        c.out.push_back({3001, 1, oack({{"blksize", "1468"}, {"tsize", "2500"}})});
        lock_step(c, 3001, 1, "start4.elf", 1468, 0, 9);
        c.counters = {{"quirk.rrq_race", 1}, {"result.complete", 1}, {"result.replaced", 1},
                      {"result.aborted", 0}, {"retransmits", 0},     {"active_transfers", 0}};
        cases.push_back(std::move(c));
    }
    {
        TftpCase c{"Retransmitted RRQ from the same port starts no second transfer", {}, 100, {}, {}};
        for (std::uint32_t t : {0u, 5u, 10u}) c.in.push_back({t, 4000, kListen, rrq("config.txt")});
        c.out.push_back({4000, 0, data("config.txt", 1, 512)});
        c.in.push_back({20, 4000, 0, ack(1)});
        c.counters = {{"quirk.rrq_retransmit", 2}, {"result.complete", 1}, {"rrq_received", 3}};
        cases.push_back(std::move(c));
    }
    {
        TftpCase c{"Duplicate ACKs get nothing (no Sorcerer's Apprentice)", {}, 100, {}, {}};
        c.in.push_back({0, 5000, kListen, rrq("start4.elf")});
        c.out.push_back({5000, 0, data("start4.elf", 1, 512)});
        c.in.push_back({1, 5000, 0, ack(1)});
        c.out.push_back({5000, 0, data("start4.elf", 2, 512)});
        c.in.push_back({2, 5000, 0, ack(1)});
        c.in.push_back({3, 5000, 0, ack(1)});
        lock_step(c, 5000, 0, "start4.elf", 512, 2, 4);
        c.counters = {{"quirk.duplicate_ack", 2}, {"result.complete", 1}, {"retransmits", 0}};
        cases.push_back(std::move(c));
    }
    {
        // firmware#1631: a duplicated DATA N makes start4.elf ACK a block it never had and hang.
        // The server sends a block again only when its timer fires, and the Pi's late ACK for
        // the first copy and its ACK for the second move the transfer on exactly once.
        TftpCase c{"Duplicated-DATA trap (firmware#1631): DATA resent only by the timer, the second ACK ignored",
                   {},
                   100,
                   {},
                   {}};
        c.in.push_back({0, 5100, kListen, rrq("start4.elf", {{"blksize", "1024"}})});
        c.out.push_back({5100, 0, oack({{"blksize", "1024"}}), 0});
        c.in.push_back({1, 5100, 0, ack(0)});
        c.out.push_back({5100, 0, data("start4.elf", 1, 1024), 1});
        c.out.push_back({5100, 0, data("start4.elf", 1, 1024), 1001});
        c.in.push_back({1050, 5100, 0, ack(1)});
        c.out.push_back({5100, 0, data("start4.elf", 2, 1024), 1050});
        c.in.push_back({1051, 5100, 0, ack(1)});
        lock_step(c, 5100, 0, "start4.elf", 1024, 2, 1052);
        c.run_ms = 4000;
        c.counters = {{"retransmits", 1}, {"quirk.duplicate_ack", 1}, {"result.complete", 1}};
        cases.push_back(std::move(c));
    }
    {
        // The Pi gives up on a file after 30 s (TFTP_FILE_TIMEOUT); the server must have given up
        // on a silent client before then, and its slot must be free again.
        TftpCase c{"A Pi that goes silent mid-file: DATA resent with back-off, the transfer ends before 30 s",
                   {},
                   30000,
                   {},
                   {}};
        c.in.push_back({0, 6000, kListen, rrq("start4.elf", {{"tsize", "0"}, {"blksize", "1024"}})});
        c.out.push_back({6000, 0, oack({{"blksize", "1024"}, {"tsize", "2500"}}), 0});
        c.in.push_back({1, 6000, 0, ack(0)});
        c.out.push_back({6000, 0, data("start4.elf", 1, 1024), 1});
        for (std::int32_t at : {1001, 3001, 7001, 11001, 15001})
            c.out.push_back({6000, 0, data("start4.elf", 1, 1024), at});
        c.counters = {{"retransmits", 5}, {"result.timeout", 1}, {"active_transfers", 0}};
        cases.push_back(std::move(c));
    }
    {
        TftpCase c{"Pi 4 EEPROM sequence with its serial directory: SERIAL/start4.elf probed, the prefix kept",
                   {},
                   100,
                   {},
                   {}};
        c.in.push_back({0, 7000, kListen, rrq("1a2b3c4d/start4.elf", {{"tsize", "0"}, {"blksize", "1024"}})});
        c.out.push_back({7000, 0, oack({{"blksize", "1024"}, {"tsize", "1500"}})});
        c.in.push_back({1, 7000, 0, error(0, "Early terminate")});
        c.in.push_back({2, 7001, kListen, rrq("1a2b3c4d/config.txt", {{"tsize", "0"}, {"blksize", "1024"}})});
        c.out.push_back({7001, 1, oack({{"blksize", "1024"}, {"tsize", "60"}})});
        lock_step(c, 7001, 1, "1a2b3c4d/config.txt", 1024, 0, 3);
        c.in.push_back({10, 7002, kListen, rrq("1a2b3c4d/start4.elf", {{"tsize", "0"}, {"blksize", "1024"}})});
        c.out.push_back({7002, 2, oack({{"blksize", "1024"}, {"tsize", "1500"}})});
        lock_step(c, 7002, 2, "1a2b3c4d/start4.elf", 1024, 0, 11);
        c.counters = {{"quirk.probe_abort", 1}, {"result.complete", 2}, {"result.probe", 1}, {"rrq_received", 3}};
        cases.push_back(std::move(c));
    }
    {
        TftpCase c{"Pi 4 EEPROM sequence without a serial directory: falls back to the root", {}, 100, {}, {}};
        c.in.push_back({0, 7100, kListen, rrq("9f9f9f9f/start4.elf", {{"tsize", "0"}, {"blksize", "1024"}})});
        c.out.push_back({7100, 0, error(1, "file not found")});
        c.in.push_back({5, 7101, kListen, rrq("config.txt", {{"tsize", "0"}, {"blksize", "1024"}})});
        c.out.push_back({7101, 1, oack({{"blksize", "1024"}, {"tsize", "40"}})});
        lock_step(c, 7101, 1, "config.txt", 1024, 0, 6);
        c.in.push_back({20, 7102, kListen, rrq("fixup4.dat", {{"tsize", "0"}, {"blksize", "1024"}})});
        c.out.push_back({7102, 2, oack({{"blksize", "1024"}, {"tsize", "300"}})});
        lock_step(c, 7102, 2, "fixup4.dat", 1024, 0, 21);
        c.counters = {{"drop.not_found", 1}, {"result.not_found", 1}, {"result.complete", 2}};
        cases.push_back(std::move(c));
    }
    {
        TftpCase c{
            "Pi 5 EEPROM sequence: config.txt, the pieeprom.sig probe, kernel_2712.img at 1468", {}, 100, {}, {}};
        c.in.push_back({0, 8000, kListen, rrq("config.txt", {{"tsize", "0"}, {"blksize", "1468"}})});
        c.out.push_back({8000, 0, oack({{"blksize", "1468"}, {"tsize", "40"}})});
        lock_step(c, 8000, 0, "config.txt", 1468, 0, 1);
        c.in.push_back({10, 8001, kListen, rrq("pieeprom.sig", {{"tsize", "0"}, {"blksize", "1468"}})});
        c.out.push_back({8001, 1, error(1, "file not found")});
        c.in.push_back({20, 8002, kListen, rrq("kernel_2712.img", {{"tsize", "0"}, {"blksize", "1468"}})});
        c.out.push_back({8002, 2, oack({{"blksize", "1468"}, {"tsize", "3000"}})});
        lock_step(c, 8002, 2, "kernel_2712.img", 1468, 0, 21);
        c.counters = {{"result.complete", 2}, {"result.not_found", 1}, {"drop.not_found", 1}, {"tftp_bytes", 3040}};
        cases.push_back(std::move(c));
    }
    {
        TftpCase c{"RFC 7440 windowsize 4: four DATA per ACK, the last window short", {}, 100, {}, {}};
        c.in.push_back({0, 9000, kListen, rrq("kernel8.img", {{"blksize", "512"}, {"windowsize", "4"}})});
        c.out.push_back({9000, 0, oack({{"blksize", "512"}, {"windowsize", "4"}})});
        c.in.push_back({1, 9000, 0, ack(0)});
        for (std::uint16_t b = 1; b <= 4; ++b) c.out.push_back({9000, 0, data("kernel8.img", b, 512)});
        c.in.push_back({2, 9000, 0, ack(4)});
        for (std::uint16_t b = 5; b <= 6; ++b) c.out.push_back({9000, 0, data("kernel8.img", b, 512)});
        c.in.push_back({3, 9000, 0, ack(6)});
        c.counters = {{"result.complete", 1}, {"tftp_bytes", 3000}};
        cases.push_back(std::move(c));
    }
    {
        TftpCase c{"Refusals from port 69: WRQ, a path out of the tree, mail mode", {}, 100, {}, {}};
        Bytes wrq = rrq("config.txt");
        wrq[1] = 2;
        c.in.push_back({0, 9100, kListen, wrq});
        c.out.push_back({9100, kListen, error(2, "read-only server: WRQ refused")});
        c.in.push_back({1, 9101, kListen, rrq("../etc/passwd")});
        c.out.push_back({9101, kListen, error(2, "access violation")});
        c.in.push_back({2, 9102, kListen, rrq("config.txt", {}, "mail")});
        c.out.push_back({9102, kListen, error(4, "mail mode not supported")});
        c.in.push_back({3, 9103, kListen, Bytes{0, 1, 'x'}});
        c.out.push_back({9103, kListen, error(4, "malformed request")});
        c.counters = {
            {"drop.write_request", 1},    {"drop.path_refused", 1}, {"path_refused.parent_reference", 1},
            {"drop.unsupported_mode", 1}, {"drop.malformed", 1},    {"tftp_malformed.unterminated_filename", 1},
            {"result.refused", 4},        {"result.error", 0}};
        cases.push_back(std::move(c));
    }
    {
        // Requests the parser cannot take are answered, not dropped in silence; NULs padding a
        // request are padding, and ACKs, DATA or garbage to port 69 still get nothing.
        TftpCase c{"Unreadable requests get an ERROR: too many options, an empty option name; NUL padding is fine",
                   {},
                   100,
                   {},
                   {}};
        Bytes many = rrq("config.txt");
        for (int i = 0; i < 17; ++i) {
            for (char ch : "opt" + std::to_string(i)) many.push_back(static_cast<std::uint8_t>(ch));
            many.push_back(0);
            many.push_back('1');
            many.push_back(0);
        }
        c.in.push_back({0, 9200, kListen, many});
        c.out.push_back({9200, kListen, error(8, "too many options")});
        Bytes empty_name = rrq("config.txt");
        for (std::uint8_t b : {std::uint8_t{0}, std::uint8_t{'1'}, std::uint8_t{0}}) empty_name.push_back(b);
        c.in.push_back({1, 9201, kListen, empty_name});
        c.out.push_back({9201, kListen, error(4, "malformed request")});
        Bytes padded = rrq("config.txt");
        padded.insert(padded.end(), 6, 0);
        c.in.push_back({2, 9202, kListen, padded});
        c.out.push_back({9202, 0, data("config.txt", 1, 512)});
        c.in.push_back({3, 9202, 0, ack(1)});
        c.in.push_back({4, 9203, kListen, ack(1)});
        c.counters = {{"drop.malformed", 2},
                      {"drop.unexpected_opcode", 1},
                      {"tftp_malformed.too_many_options", 1},
                      {"tftp_malformed.empty_option_name", 1},
                      {"tftp_malformed.bad_opcode", 0},
                      {"result.refused", 2},
                      {"result.complete", 1}};
        cases.push_back(std::move(c));
    }
    {
        // One host spelling one file many ways (issue 9.3) gets one key: each request supersedes
        // the one before as an RRQ race would, and past --max-transfers-per-client (32 in the
        // table) the rest are refused. The last transfer completes; the superseded ones end when
        // their timers find no progress.
        TftpCase c{
            "One file spelled many ways from one address: one key, and at most 32 transfers at once", {}, 2500, {}, {}};
        std::string spelling = "config.txt";
        for (int i = 0; i < 40; ++i) {
            auto port = static_cast<std::uint16_t>(9300 + i);
            c.in.push_back({static_cast<std::uint32_t>(i), port, kListen, rrq(spelling)});
            spelling = (i % 2 == 0 ? "./" : ".//") + spelling;
            if (i < 32) {
                c.out.push_back({port, i, data("config.txt", 1, 512)});
            } else {
                c.out.push_back({port, kListen, error(0, "too many transfers from your address, try again")});
            }
        }
        c.in.push_back({50, 9331, 31, ack(1)});
        c.counters = {{"drop.client_cap", 8},        {"result.complete", 1}, {"result.refused", 8},
                      {"result.unacknowledged", 31}, {"quirk.rrq_race", 0},  {"quirk.probe_abort", 0},
                      {"active_transfers", 0}};
        cases.push_back(std::move(c));
    }
    {
        // config.txt at t = 1200: alone it ends in ~20 ms, but shared, the slow transfer would end
        // at ~1522, past what its plan may slip to (t = 1500: target 1 s, file timeout 2 s). So
        // it is held, and starts the moment the slow one ends (t = 1502).
        TftpCase c{
            "Admission: a transfer that would make one already sending miss its plan is held, and starts "
            "when that one ends",
            {},
            1700,
            {},
            {}};
        c.admission = slow_path(1000, 2000);
        slow_transfer(c, 3100);
        c.in.push_back({1200, 3101, kListen, rrq("config.txt")});
        by_time(c);
        c.out.push_back({3101, 1, data("config.txt", 1, 512), 1502});
        c.in.push_back({1505, 3101, 1, ack(1)});
        c.counters = {{"admission_admitted", 1}, {"admission_held", 1}, {"admission_released", 1},
                      {"admission_expired", 0},  {"tftp_held", 0},      {"result.complete", 2},
                      {"retransmits", 0}};
        cases.push_back(std::move(c));
    }
    {
        // C asks at t = 1191 (its OACK answered at once: a probe costs one datagram) and is held
        // at its ACK 0 (t = 1211); B asks at t = 1200 and is held first. When the slow transfer
        // ends, C, the earlier RRQ and so the nearer deadline, starts first, then B.
        TftpCase c{"Admission: held transfers start in the order of their RRQs", {}, 1700, {}, {}};
        c.admission = slow_path(1000, 2000);
        slow_transfer(c, 3200);
        c.in.push_back({1191, 3202, kListen, rrq("cmdline.txt", {{"tsize", "0"}})});
        c.in.push_back({1200, 3201, kListen, rrq("config.txt")});
        c.in.push_back({1211, 3202, 1, ack(0)});
        by_time(c);
        // The OACK goes out between the slow transfer's DATA 299 (t = 1190) and 300 (t = 1194).
        std::vector<TftpOut> slow = std::move(c.out);
        c.out.assign(slow.begin(), slow.begin() + 300);
        c.out.push_back({3202, 1, oack({{"tsize", "30"}}), 1191});
        c.out.insert(c.out.end(), slow.begin() + 300, slow.end());
        c.out.push_back({3202, 1, data("cmdline.txt", 1, 512), 1502});
        c.out.push_back({3201, 2, data("config.txt", 1, 512), 1502});
        c.in.push_back({1505, 3202, 1, ack(1)});
        c.in.push_back({1507, 3201, 2, ack(1)});
        c.counters = {{"admission_admitted", 1}, {"admission_held", 2},  {"admission_released", 2},
                      {"admission_expired", 0},  {"result.complete", 3}, {"retransmits", 0}};
        cases.push_back(std::move(c));
    }
    {
        // kernel_2712.img held at t = 1200 with a 1.65 s file timeout: at 2,000 bytes/s it needs
        // 1.5 s of the whole path, so from t = 1350 it can no longer end before its client gives
        // up (t = 2850). The tick after (t = 1402) refuses it, so the client starts over, instead
        // of sending it what it cannot use.
        TftpCase c{"Admission: a held transfer that can no longer end before its client gives up is refused",
                   {},
                   1700,
                   {},
                   {}};
        c.admission = slow_path(400, 1650);
        slow_transfer(c, 3300);
        c.in.push_back({1200, 3301, kListen, rrq("kernel_2712.img")});
        by_time(c);
        std::vector<TftpOut> slow = std::move(c.out);
        // The ERROR (the tick at t = 1402, before that instant's ACK 351) after DATA 351 (t = 1398).
        c.out.assign(slow.begin(), slow.begin() + 352);
        c.out.push_back({3301, 1, error(0, "server busy, try again"), 1402});
        c.out.insert(c.out.end(), slow.begin() + 352, slow.end());
        c.counters = {{"admission_held", 1}, {"admission_expired", 1}, {"drop.path_full", 1},
                      {"result.busy", 1},    {"result.complete", 1},   {"tftp_held", 0}};
        cases.push_back(std::move(c));
    }
    {
        // The adaptive retransmit timeout (SRTT + 4 RTTVAR) never goes below --min-rto-ms (50 ms
        // here): after a 10 ms round trip an ACK 40 ms late is waited for, not answered with a
        // second DATA 2 (a duplicate a Pi 4's start4.elf may hang on, firmware#1631).
        TftpCase c{"A late ACK is not a lost one: nothing is resent within the retransmit floor", {}, 200, {}, {}};
        c.min_rto_ms = 50;
        c.in.push_back({0, 3500, kListen, rrq("bootcode.bin")});
        c.out.push_back({3500, 0, data("bootcode.bin", 1, 512), 0});
        c.in.push_back({10, 3500, 0, ack(1)});
        c.out.push_back({3500, 0, data("bootcode.bin", 2, 512), 10});
        c.in.push_back({55, 3500, 0, ack(2)});
        c.out.push_back({3500, 0, data("bootcode.bin", 3, 512), 55});
        c.in.push_back({65, 3500, 0, ack(3)});
        c.counters = {{"retransmits", 0}, {"spurious_retransmits", 0}, {"result.complete", 1}};
        cases.push_back(std::move(c));
    }
    {
        // A round trip of 10 ms measured on DATA 1; DATA 2's ACK is lost... or late: the timer
        // resends DATA 2 at t = 1010 and ACK 2 comes 2 ms later, sooner than any round trip: it
        // answered the original, and the resend was a duplicate the Pi did not need. The second
        // transfer's ACK comes 15 ms after its resend: an answer to the resend, not counted.
        TftpCase c{
            "Spurious retransmits: an ACK sooner after the resend than a round trip is counted", {}, 200, {}, {}};
        c.in.push_back({0, 3400, kListen, rrq("bootcode.bin")});
        c.out.push_back({3400, 0, data("bootcode.bin", 1, 512), 0});
        c.in.push_back({10, 3400, 0, ack(1)});
        c.out.push_back({3400, 0, data("bootcode.bin", 2, 512), 10});
        c.out.push_back({3400, 0, data("bootcode.bin", 2, 512), 1010});
        c.in.push_back({1012, 3400, 0, ack(2)});
        c.out.push_back({3400, 0, data("bootcode.bin", 3, 512), 1012});
        c.in.push_back({1020, 3400, 0, ack(3)});
        c.in.push_back({2000, 3401, kListen, rrq("bootcode.bin")});
        c.out.push_back({3401, 1, data("bootcode.bin", 1, 512), 2000});
        c.in.push_back({2010, 3401, 1, ack(1)});
        c.out.push_back({3401, 1, data("bootcode.bin", 2, 512), 2010});
        c.out.push_back({3401, 1, data("bootcode.bin", 2, 512), 3010});
        c.in.push_back({3025, 3401, 1, ack(2)});
        c.out.push_back({3401, 1, data("bootcode.bin", 3, 512), 3025});
        c.in.push_back({3030, 3401, 1, ack(3)});
        c.counters = {{"retransmits", 2}, {"spurious_retransmits", 1}, {"result.complete", 2}};
        cases.push_back(std::move(c));
    }
    {
        // Loss recovery (issue 19): DATA 2 is lost and resent after the 50 ms floor; its ACK comes
        // a round trip after the resend, so the path lost it, and from then on the transfer's
        // floor is --loss-rto-ms (5 ms): the lost DATA 3 costs 6 ms (SRTT + 4 RTTVAR), not 50.
        TftpCase c{
            "After a real loss the floor is --loss-rto-ms: the next loss costs a few round trips", {}, 200, {}, {}};
        c.min_rto_ms = 50;
        c.loss_rto_ms = 5;
        c.in.push_back({0, 3700, kListen, rrq("kernel8.img")});
        c.out.push_back({3700, 0, data("kernel8.img", 1, 512), 0});
        c.in.push_back({2, 3700, 0, ack(1)});
        c.out.push_back({3700, 0, data("kernel8.img", 2, 512), 2});
        c.out.push_back({3700, 0, data("kernel8.img", 2, 512), 52});
        c.in.push_back({55, 3700, 0, ack(2)});
        c.out.push_back({3700, 0, data("kernel8.img", 3, 512), 55});
        c.out.push_back({3700, 0, data("kernel8.img", 3, 512), 61});
        for (std::uint16_t b = 3; b <= 5; ++b) {
            c.in.push_back({static_cast<std::uint32_t>(58 + 2 * b), 3700, 0, ack(b)});
            c.out.push_back({3700, 0, data("kernel8.img", static_cast<std::uint16_t>(b + 1), 512), 58 + 2 * b});
        }
        c.in.push_back({70, 3700, 0, ack(6)});
        c.counters = {{"retransmits", 2}, {"spurious_retransmits", 0}, {"result.complete", 1}};
        cases.push_back(std::move(c));
    }
    {
        // The worker's round trip guard (issue 19): the first transfer's client answers in 10 ms,
        // so every transfer on the worker waits at least 20 ms before a resend, and the second
        // transfer's ACK 14 ms after a 2 ms round trip is waited for, not answered with a
        // duplicate DATA 2 (its own estimate alone, SRTT + 4 RTTVAR, would resend at 6 ms).
        TftpCase c{"A slow round trip on one transfer teaches the worker: a late ACK on another is waited for",
                   {},
                   200,
                   {},
                   {}};
        c.min_rto_ms = 5;
        c.in.push_back({0, 3600, kListen, rrq("bootcode.bin")});
        c.out.push_back({3600, 0, data("bootcode.bin", 1, 512), 0});
        for (std::uint16_t b = 1; b <= 2; ++b) {
            c.in.push_back({10u * b, 3600, 0, ack(b)});
            c.out.push_back({3600, 0, data("bootcode.bin", static_cast<std::uint16_t>(b + 1), 512), 10 * b});
        }
        c.in.push_back({30, 3600, 0, ack(3)});
        c.in.push_back({40, 3601, kListen, rrq("bootcode.bin")});
        c.out.push_back({3601, 1, data("bootcode.bin", 1, 512), 40});
        c.in.push_back({42, 3601, 1, ack(1)});
        c.out.push_back({3601, 1, data("bootcode.bin", 2, 512), 42});
        c.in.push_back({56, 3601, 1, ack(2)});
        c.out.push_back({3601, 1, data("bootcode.bin", 3, 512), 56});
        c.in.push_back({58, 3601, 1, ack(3)});
        c.counters = {{"retransmits", 0}, {"spurious_retransmits", 0}, {"result.complete", 2}};
        cases.push_back(std::move(c));
    }
    {
        // A stall of the whole path (issue 19): four transfers wait for ACK 2, and no ACK at all
        // comes for 80 ms (a pause of the host, a burst queued ahead of the ACKs); then all four
        // come. With every client silent at once the ACKs are late, not lost: no DATA 2 is resent
        // at the 50 ms floor (each resend is held, counted), so no Pi sees a DATA twice.
        TftpCase c{"A silent path is a stall, not four losses: nothing is resent while no ACK comes", {}, 200, {}, {}};
        c.min_rto_ms = 50;
        for (std::uint16_t i = 0; i < 4; ++i) {
            std::uint16_t port = static_cast<std::uint16_t>(3900 + i);
            c.in.push_back({0, port, kListen, rrq("bootcode.bin")});
            c.out.push_back({port, i, data("bootcode.bin", 1, 512), 0});
            c.in.push_back({2, port, i, ack(1)});
            c.out.push_back({port, i, data("bootcode.bin", 2, 512), 2});
            c.in.push_back({82, port, i, ack(2)});
            c.out.push_back({port, i, data("bootcode.bin", 3, 512), 82});
            c.in.push_back({84, port, i, ack(3)});
        }
        by_time(c);
        sends_by_time(c);
        c.counters = {{"retransmits", 0}, {"resends_held", 4}, {"result.complete", 4}};
        cases.push_back(std::move(c));
    }
    {
        // The same four with no ACK for a whole second (the path is down, not slow): each resend
        // is held a quarter of a second at most, then goes (at t = 52 + 250), and the ACKs to it
        // end the transfers.
        TftpCase c{"A silent path is waited for a quarter of a second at most, then resent", {}, 600, {}, {}};
        c.min_rto_ms = 50;
        for (std::uint16_t i = 0; i < 4; ++i) {
            std::uint16_t port = static_cast<std::uint16_t>(3950 + i);
            c.in.push_back({0, port, kListen, rrq("bootcode.bin")});
            c.out.push_back({port, i, data("bootcode.bin", 1, 512), 0});
            c.in.push_back({2, port, i, ack(1)});
            c.out.push_back({port, i, data("bootcode.bin", 2, 512), 2});
            c.out.push_back({port, i, data("bootcode.bin", 2, 512), 302});
            c.in.push_back({305, port, i, ack(2)});
            c.out.push_back({port, i, data("bootcode.bin", 3, 512), 305});
            c.in.push_back({307, port, i, ack(3)});
        }
        by_time(c);
        sends_by_time(c);
        c.counters = {{"retransmits", 4}, {"result.complete", 4}};
        cases.push_back(std::move(c));
    }
    return cases;
}

}  // namespace

const std::vector<TftpCase>& tftp_cases() {
    static const std::vector<TftpCase> cases = build();
    return cases;
}

}  // namespace rackboot::test
