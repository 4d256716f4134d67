// The TFTP cases as one table (Katran's fixtures style): each case is a description, the
// datagrams a client sends with the virtual time each arrives, every datagram the server must
// send in answer (in order, and when it must leave for retransmits), and the counters that must
// move. The same table runs against TftpService over a fake transport and against a DpdkWorker
// over net_ring (tftp_table_runner.h): a backend that answers differently fails the same row.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rackboot::test {

using Bytes = std::vector<std::uint8_t>;

// Where a datagram goes to or comes from on the server: its well-known port, or the n-th TID the
// server opened in this case (0, 1, ... in the order their first datagram left).
constexpr int kListen = -1;

struct TftpIn {
    std::uint32_t at_ms = 0;        // virtual time since the case began
    std::uint16_t client_port = 0;  // the Pi's UDP port
    int server = kListen;           // kListen or a TID index
    Bytes payload;
};

struct TftpOut {
    std::uint16_t client_port = 0;
    int server = kListen;
    Bytes payload;            // the exact datagram
    std::int32_t at_ms = -1;  // when it must leave (within 20 ms: the runner's 1 ms steps drift); -1: any time
};

// Admission to the path's capacity (dataplane/path_admission.h) as a case sets it: off unless
// enabled, in the case's milliseconds.
struct TftpAdmission {
    bool enabled = false;
    std::uint32_t target_ms = 20000;
    std::uint32_t file_timeout_ms = 30000;
    std::uint32_t floor = 2;
    std::uint32_t unmeasured = 32;
};

struct TftpCase {
    std::string description;
    std::vector<TftpIn> in;
    std::uint32_t run_ms = 0;                                    // the clock runs on to here after the last input
    std::vector<TftpOut> out;                                    // every datagram the server sends, in order
    std::vector<std::pair<std::string, std::int64_t>> counters;  // deltas (for_each_counter names)
    TftpAdmission admission{};
    std::uint32_t min_rto_ms = 0;   // the adaptive retransmit timeout's floor; 0: the fixed timeout
    std::uint32_t loss_rto_ms = 0;  // the floor once a transfer has seen a real loss; 0: min_rto_ms
};

// The boot tree every case runs against: files of fixed sizes with deterministic bytes.
void write_boot_tree(const std::filesystem::path& dir);
[[nodiscard]] const Bytes& boot_file(std::string_view name);

// Datagram builders for the table.
[[nodiscard]] Bytes rrq(std::string_view file,
                        std::initializer_list<std::pair<std::string_view, std::string_view>> opts = {},
                        std::string_view mode = "octet");
[[nodiscard]] Bytes oack(std::initializer_list<std::pair<std::string_view, std::string_view>> opts);
[[nodiscard]] Bytes ack(std::uint16_t block);
// DATA `block` (1-based) of `file` at `blksize`.
[[nodiscard]] Bytes data(std::string_view file, std::uint16_t block, std::uint16_t blksize);
[[nodiscard]] Bytes error(std::uint16_t code, std::string_view message);
[[nodiscard]] std::string to_hex(const Bytes& b);

// Every case: each Pi sequence of PI-BOOT.md and the protocol's edges.
[[nodiscard]] const std::vector<TftpCase>& tftp_cases();

}  // namespace rackboot::test
