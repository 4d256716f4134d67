// Each Pi's boot, joined from the workers' records on the control thread: DHCP requests (by MAC,
// and by serial when option 97 carries it), transfers (by the board they resolved through, or
// the client address DHCP gave the board). Per board: the last N events, and per boot its start,
// DHCP time, each file's time and result, the total, and how it ended:
// - booted: the kernel and cmdline.txt arrived whole;
// - failed: it stopped (a new boot began, or nothing came for kIdleMs) after a transfer that
//   timed out, failed or was refused for another reason than "not found" (the file and reason
//   kept);
// - netboot_off: it stopped after its files were refused because its board has netboot off;
// - abandoned: it stopped with none of these.
// Boots and complete transfers also feed the boot figures of the metrics page (boot_stats.h).
// Every event also goes to the event bus (SSE); a finished boot's summary goes to `on_boot` (the
// store persists it). Learning (option 97 MAC <-> serial, addresses) is reported through
// `on_learn`, for answered requests only. An identity conflict (a serial claimed from a MAC its
// board does not list) is an event on the claimed board with both MACs, and starts no boot.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/events/boot_stats.h"
#include "control/events/event_bus.h"
#include "dataplane/dhcp_record.h"
#include "dataplane/transfer_record.h"
#include "proto/ipv4.h"
#include "proto/mac.h"
#include "proto/serial.h"

namespace rackboot::control {

// Where a DHCP message came from, as a board's learnt MAC and an event name it.
[[nodiscard]] std::string dhcp_origin(const dataplane::DhcpRecord& r);

class BootTimeline {
public:
    static constexpr std::int64_t kIdleMs = 120'000;       // a boot with nothing new this long has stopped
    static constexpr std::int64_t kNewBootGapMs = 30'000;  // a DISCOVER after this long starts a new boot

    struct Hooks {
        // The board a MAC belongs to (configured or learnt), if any.
        std::function<std::optional<proto::Serial>(proto::Mac mac)> serial_of_mac;
        // The MACs the operator configured on a board (for an identity conflict's event).
        std::function<std::vector<proto::Mac>(proto::Serial serial)> configured_macs;
        // A boot ended: its summary, to persist as the board's last boot.
        std::function<void(proto::Serial serial, const nlohmann::json& summary)> on_boot;
        // Whether a serial is a board of the inventory (null: every serial is). A serial no
        // board has (made up in option 97 or a path) gets a timeline among the last
        // kMaxStrangers such serials only, so a flood of them cannot grow memory without bound.
        std::function<bool(proto::Serial serial)> is_board;
    };
    static constexpr std::size_t kMaxStrangers = 1024;
    static constexpr std::size_t kMaxAddresses = std::size_t{1} << 17;  // address -> serial joins kept

    BootTimeline(std::size_t events_per_board, EventBus* bus, Hooks hooks)
        : per_board_(events_per_board), bus_(bus), hooks_(std::move(hooks)) {}

    // Control thread: records as they are drained, and a tick to close idle boots.
    void on_dhcp(const dataplane::DhcpRecord& r, std::int64_t now_ms);
    void on_transfer(const dataplane::TransferRecord& r, std::int64_t now_ms);
    void tick(std::int64_t now_ms);

    // The API's thread: {"serial", "events": [...], "boot": the one in progress or null,
    // "last_boot": the last finished or null}; nullopt when the board was never seen.
    [[nodiscard]] std::optional<nlohmann::json> timeline(proto::Serial serial) const;
    // Timelines kept, and those of serials no board has that were let go to bound them.
    [[nodiscard]] std::size_t kept() const;
    [[nodiscard]] std::uint64_t forgotten() const;
    [[nodiscard]] std::size_t joined_addresses() const;
    // The boot families (boot_stats.h) and the timelines' own, for the metrics page.
    [[nodiscard]] std::string render_metrics() const;

private:
    // The event stream is wired (the API serves it): every event is serialized into its history,
    // whoever is subscribed now (a client may resume after any id the history keeps).
    [[nodiscard]] bool streamed() const { return bus_ != nullptr; }
    struct File {
        std::string name;
        std::int64_t started_ms = 0;
        std::int64_t ms = 0;
        std::uint64_t bytes = 0;
        std::string result;
    };
    struct Boot {
        std::int64_t started_ms = 0;
        std::int64_t last_ms = 0;
        std::int64_t dhcp_done_ms = 0;  // the last DHCP reply before the first transfer
        std::vector<File> files;
        BootModel model = BootModel::unknown;
        bool kernel = false;
        bool cmdline = false;
        bool netboot_off = false;  // its files were refused because its board has netboot off
        std::string failed_file;
        std::string failed_reason;
    };
    struct Board {
        std::deque<nlohmann::json> events;
        std::optional<Boot> boot;
        std::optional<nlohmann::json> last_boot;
        proto::Mac mac{};
    };

    // The serial's timeline, made when missing (the oldest stranger's let go past the bound).
    Board& board(proto::Serial serial);
    void join_address(proto::Ipv4 ip, proto::Serial serial);
    void on_conflict(const dataplane::DhcpRecord& r, std::int64_t now_ms);
    void record(Board& b, const std::string& kind, nlohmann::json event, std::int64_t now_ms, proto::Mac mac);
    void publish(const std::string& kind, std::optional<proto::Serial> serial, proto::Mac mac,
                 const nlohmann::json& event);
    void finish(proto::Serial serial, Board& b, BootResult result);
    // How a boot that stopped without booting ended.
    [[nodiscard]] static BootResult stopped(const Boot& boot) noexcept;
    void count(const Boot& boot, BootResult result);
    [[nodiscard]] static nlohmann::json summary(const Boot& boot, const std::string& result);

    std::size_t per_board_;
    EventBus* bus_;
    Hooks hooks_;
    mutable std::mutex mutex_;
    std::unordered_map<proto::Serial, Board> boards_;  // thousands of Pis: hashed, not a tree walk
    std::unordered_map<proto::Ipv4, proto::Serial> serial_by_ip_;
    std::deque<proto::Serial> strangers_;  // serials no board had when their timeline was made, oldest first
    std::uint64_t forgotten_ = 0;
    BootStats stats_;
};

}  // namespace rackboot::control
