#include "control/metrics.h"

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

TEST(Metrics, SumsWorkersIntoPrometheusText) {
    dataplane::WorkerCounters a, b;
    a.result(dataplane::ResultLabel::complete);
    b.result(dataplane::ResultLabel::complete);
    b.result(dataplane::ResultLabel::timeout);
    a.quirk(dataplane::Quirk::rrq_race);
    a.drop(dataplane::DropReason::path_refused);
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

}  // namespace
}  // namespace rackboot::control
