// The TOML configuration file (--config): every flag is a key; lists, booleans and integers map
// to the flags' values; the command line overrides the file; a bad file names its line.
#include "rackbootd/config_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "rackbootd/config.h"

namespace rackboot::control {
namespace {

class ConfigFile : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() / ("rb-conf-" + std::to_string(getpid()) + ".toml");
    }
    void TearDown() override { std::filesystem::remove(path_); }
    std::optional<DaemonConfig> parse(const std::string& toml, std::vector<std::string> more, std::string& err) {
        std::ofstream(path_) << toml;
        std::vector<const char*> argv{"rackbootd", "--config", path_.c_str()};
        for (const std::string& m : more) argv.push_back(m.c_str());
        auto cfg = parse_daemon_args(static_cast<int>(argv.size()), argv.data());
        if (!cfg) {
            err = cfg.error().reason;
            return std::nullopt;
        }
        return std::move(*cfg);
    }
    std::filesystem::path path_;
};

TEST_F(ConfigFile, KeysAreFlagsAndTheCommandLineOverrides) {
    std::string err;
    auto c = parse(R"(# comment
tftp-root = "/srv/tftp"
max_transfers = 4000
auto-discover = true
lease-fsync = false
board = ["1a2b3c4d=/srv/a", "dc-a6-32-01-02-03=/srv/b"]
cpus = [0]
api = "127.0.0.1:9000"
)",
                   {"--max-transfers", "500"}, err);
    ASSERT_TRUE(c) << err;
    EXPECT_EQ(c->tftp_root, "/srv/tftp");
    EXPECT_EQ(c->max_transfers, 500u);  // the flag wins
    EXPECT_TRUE(c->auto_discover);
    EXPECT_FALSE(c->lease_fsync);
    ASSERT_EQ(c->boards.size(), 2u);
    EXPECT_EQ(c->boards[0].serial.value(), 0x1a2b3c4du);
    EXPECT_EQ(c->cpus, std::vector<int>{0});
    EXPECT_EQ(c->api_port, 9000);
}

TEST_F(ConfigFile, ABadFileNamesItsLine) {
    std::string err;
    EXPECT_FALSE(parse("tftp-root = \"/srv\"\n\nmax-transfers = \"lots\"\n", {}, err));
    EXPECT_NE(err.find(":3: --max-transfers: 'lots'"), std::string::npos) << err;
    EXPECT_FALSE(parse("tftp-root = \"/srv\"\nfrobnicate = 1\n", {}, err));
    EXPECT_NE(err.find(":2: unknown option '--frobnicate'"), std::string::npos) << err;
    EXPECT_FALSE(parse("tftp-root = \"/srv\n", {}, err));
    EXPECT_NE(err.find(":1: "), std::string::npos) << err;
    EXPECT_FALSE(parse("[dhcp]\nmode = \"proxy\"\n", {}, err));
    EXPECT_NE(err.find(":1: [dhcp]: the file has no tables"), std::string::npos) << err;
    EXPECT_FALSE(parse("tftp-root = true\n", {}, err));
    EXPECT_NE(err.find(":1: tftp-root takes a value"), std::string::npos) << err;
    EXPECT_FALSE(parse("check-config = true\n", {}, err));
    EXPECT_NE(err.find("command-line flag only"), std::string::npos) << err;
    std::vector<const char*> argv{"rackbootd", "--config", "/nonexistent/rackbootd.toml"};
    auto refused = parse_daemon_args(3, argv.data());
    ASSERT_FALSE(refused);
    err = refused.error().reason;
    EXPECT_NE(err.find("/nonexistent/rackbootd.toml"), std::string::npos) << err;
}

// Each entry is applied to the one configuration in place (bench_board_map's
// BM_ConfigFileBoards measures that it stays linear); every board of a large file arrives, in
// order, and the command line still comes last.
TEST_F(ConfigFile, EightThousandBoardsArriveInOrder) {
    std::string toml = "tftp-root = \"/srv/tftp\"\nboard = [\n";
    for (unsigned i = 0; i < 8000; ++i) {
        char line[48];
        std::snprintf(line, sizeof line, "  \"%08x=/srv/b%u\",\n", 0x10000000 + i, i);
        toml += line;
    }
    toml += "]\nmax-transfers = 7\n";
    std::string err;
    auto c = parse(toml, {"--board", "2a2b3c4d=/srv/last"}, err);
    ASSERT_TRUE(c) << err;
    ASSERT_EQ(c->boards.size(), 8001u);
    EXPECT_EQ(c->boards[0].serial.value(), 0x10000000u);
    EXPECT_EQ(c->boards[7999].serial.value(), 0x10000000u + 7999);
    EXPECT_EQ(c->boards[7999].dir, "/srv/b7999");
    EXPECT_EQ(c->boards[8000].serial.value(), 0x2a2b3c4du);
    EXPECT_EQ(c->max_transfers, 7u);
}

}  // namespace
}  // namespace rackboot::control
