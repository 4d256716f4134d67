// Runs a TftpCase against any backend through a small harness: the virtual clock moves from one
// input to the next and from one timer deadline to the next; at every instant the harness is
// polled (in real time, the virtual clock standing still) until nothing waits on the disk, so a
// case runs the same way every time however slow the disk or the machine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/counters.h"
#include "dataplane/snapshot_cell.h"
#include "dataplane/tftp_service.h"
#include "proto/tftp_transfer.h"
#include "support/tftp_table.h"

namespace rackboot::test {

// A datagram the server sent: to the client's port, from its well-known port (69) or a TID port.
struct TftpSent {
    std::uint16_t client_port = 0;
    std::uint16_t server_port = 0;
    Bytes payload;
};

class TftpHarness {
public:
    static constexpr std::uint16_t kWellKnownPort = 69;
    virtual ~TftpHarness() = default;
    // A datagram from the Pi's `client_port` to the server's `server_port` (69 or a TID).
    virtual void deliver(std::uint16_t client_port, std::uint16_t server_port, const Bytes& payload,
                         proto::Nanos now) = 0;
    virtual void poll(proto::Nanos now) = 0;
    [[nodiscard]] virtual std::uint32_t waiting_on_disk() const = 0;
    [[nodiscard]] virtual proto::Nanos next_deadline() const = 0;
    // What was sent since the last call.
    [[nodiscard]] virtual std::vector<TftpSent> take_sent() = 0;
    [[nodiscard]] virtual const dataplane::WorkerCounters& counters() const = 0;
};

// The table's boot tree (write_boot_tree) in a scratch directory, opened as the backends open
// theirs; removed with the object. `trees` is null (and `error` says why) when it failed.
struct TableTree {
    explicit TableTree(const std::string& tag);
    ~TableTree();
    TableTree(const TableTree&) = delete;
    TableTree& operator=(const TableTree&) = delete;
    std::filesystem::path dir;
    std::unique_ptr<dataplane::BootMapCell> trees;
    std::string error;
};

// What a case sets of a worker's TFTP service: admission, the retransmit timeout's floor.
void apply_case_settings(const TftpCase& c, dataplane::TftpServiceConfig& cfg);

// Runs one case from virtual time `start`; returns an empty string when everything matched,
// else what differed (with the whole exchange, for reading).
[[nodiscard]] std::string run_tftp_case(const TftpCase& c, TftpHarness& h, proto::Nanos start);

}  // namespace rackboot::test
