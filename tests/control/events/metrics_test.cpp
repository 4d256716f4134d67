#include "control/events/metrics.h"

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

TEST(Metrics, SumsWorkersIntoPrometheusText) {
    dataplane::WorkerCounters a, b;
    a.result(dataplane::ResultLabel::complete);
    b.result(dataplane::ResultLabel::complete);
    b.result(dataplane::ResultLabel::timeout);
    a.quirk(dataplane::Quirk::rrq_race);
    a.drop(dataplane::TftpDrop::path_refused);
    a.tftp_bytes.add(1000);
    b.tftp_bytes.add(24);
    b.active_transfers.add(3);
    std::string text = render_metrics({&a, &b});
    EXPECT_NE(text.find("rackboot_tftp_transfers_total{result=\"complete\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("rackboot_tftp_transfers_total{result=\"timeout\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("rackboot_tftp_transfers_total{result=\"aborted\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("rackboot_tftp_quirks_total{quirk=\"rrq_race\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("rackboot_tftp_quirks_total{quirk=\"probe_restart\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("rackboot_drops_total{reason=\"path_refused\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("rackboot_tftp_bytes_total 1024\n"), std::string::npos);
    EXPECT_NE(text.find("rackboot_tftp_active_transfers 3\n"), std::string::npos);
    EXPECT_NE(text.find("# TYPE rackboot_tftp_active_transfers gauge"), std::string::npos);
    EXPECT_NE(text.find("rackboot_worker_active_transfers{worker=\"1\"} 3\n"), std::string::npos);
}

// Every drop reason of every owner is a series of rackboot_drops_total; the detail behind
// malformed and path_refused has its own families (without the "none" and "ok" values); each
// family has one HELP; every reason has a description.
TEST(Metrics, EveryReasonListIsRendered) {
    dataplane::WorkerCounters a;
    a.drop(dataplane::TransportDrop::unreadable_frame);
    a.drop(dataplane::InternalDrop::log_overflow);
    a.note(proto::TftpParseError::bad_mode);
    a.note(proto::PathVerdict::parent_reference);
    a.rx_packets.add(5);
    std::string text = render_metrics({&a});
    for (const auto& r : dataplane::kTftpDropReasons) {
        EXPECT_NE(text.find("rackboot_drops_total{reason=\"" + std::string(r.name) + "\"}"), std::string::npos)
            << r.name;
        EXPECT_FALSE(r.description.empty()) << r.name;
    }
    EXPECT_NE(text.find("rackboot_drops_total{reason=\"unreadable_frame\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("rackboot_drops_total{reason=\"log_overflow\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("rackboot_tftp_malformed_total{error=\"bad_mode\"} 1\n"), std::string::npos);
    EXPECT_EQ(text.find("rackboot_tftp_malformed_total{error=\"none\"}"), std::string::npos);
    EXPECT_NE(text.find("rackboot_tftp_path_refused_total{verdict=\"parent_reference\"} 1\n"), std::string::npos);
    EXPECT_EQ(text.find("rackboot_tftp_path_refused_total{verdict=\"ok\"}"), std::string::npos);
    EXPECT_NE(text.find("rackboot_packets_total{direction=\"rx\"} 5\n"), std::string::npos);
    // One HELP per family, even where a family's series come from several lists.
    for (const char* family : {"rackboot_drops_total", "rackboot_packets_total"}) {
        std::string help = std::string("# HELP ") + family + ' ';
        std::size_t first = text.find(help);
        ASSERT_NE(first, std::string::npos) << family;
        EXPECT_EQ(text.find(help, first + 1), std::string::npos) << family;
    }
    EXPECT_EQ(dataplane::reason_info(dataplane::TftpDrop::transfer_cap).severity, proto::Severity::error);
    EXPECT_EQ(to_string(proto::FrameDrop::ip_fragment), "ip_fragment");
    EXPECT_EQ(to_string(static_cast<proto::FrameDrop>(200)), "unknown");
}

}  // namespace
}  // namespace rackboot::control
