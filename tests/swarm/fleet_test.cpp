// The fleet's identities and the manifest that checks what each Pi received.
#include "swarm/fleet.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "support/unwrap.h"
#include "swarm/manifest.h"
#include "swarm/options.h"
#include "swarm/report.h"

namespace rackboot::swarm {
namespace {

// --list-fleet: what a run's Pis will be, one "SERIAL MAC MODEL" line each, with no port needed,
// so a test or an operator can register the boards first.
TEST(Fleet, TheListingIsTheFleetARunUses) {
    std::vector<std::string_view> words{"--list-fleet", "--pis", "3", "--mix", "pi4=1,pi5=1", "--mac-offset", "7"};
    auto o = test::unwrap(parse_swarm_options(words));
    ASSERT_TRUE(o.list_fleet);
    std::vector<proto::FakePi> f = make_fleet(3, o.mix, o.seed, 7);
    std::string want;
    for (const proto::FakePi& pi : f) {
        want += pi.serial.to_string() + " " + pi.mac.to_string() + " " +
                (pi.model == proto::PiModel::pi4 ? "pi4" : "pi5") + "\n";
    }
    EXPECT_EQ(fleet_listing(o), want);
    EXPECT_EQ(std::count(want.begin(), want.end(), '\n'), 3);
}

TEST(Fleet, UniqueIdentitiesInTheMixesProportions) {
    unsigned mix[3] = {1, 8, 1};
    std::vector<proto::FakePi> f = make_fleet(10'000, mix, 3, 0);
    std::set<proto::Serial> serials;
    std::set<proto::Mac> macs;
    unsigned per[3] = {0, 0, 0};
    for (std::size_t i = 0; i < f.size(); ++i) {
        serials.insert(f[i].serial);
        macs.insert(f[i].mac);
        ++per[static_cast<int>(f[i].model)];
        const std::uint8_t oui = f[i].mac[0];
        EXPECT_EQ(oui, f[i].model == proto::PiModel::pi3 ? 0xb8 : f[i].model == proto::PiModel::pi4 ? 0xdc : 0x2c);
        auto back = pi_of_mac(f[i].mac, f.size(), 0, [&](std::uint32_t k) { return f[k].mac; });
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, i);
        EXPECT_NE(f[i].serial, proto::Serial(0));
    }
    EXPECT_EQ(serials.size(), f.size());
    EXPECT_EQ(macs.size(), f.size());
    EXPECT_EQ(per[0], 1000u);
    EXPECT_EQ(per[1], 8000u);
    EXPECT_EQ(per[2], 1000u);
    EXPECT_NE(f[0].model, f[1].model == f[2].model ? proto::PiModel::pi5 : f[1].model);  // interleaved
    // Another seed, other serials; an offset moves the MACs out of the way of another swarm.
    EXPECT_NE(make_fleet(1, mix, 4, 0)[0].serial, f[0].serial);
    std::vector<proto::FakePi> g = make_fleet(10, mix, 3, 500);
    EXPECT_EQ(g[0].mac[5], 501 % 256);
    EXPECT_FALSE(pi_of_mac(f[0].mac, g.size(), 500, [&](std::uint32_t k) { return g[k].mac; }).has_value());
    EXPECT_EQ(pi_of_mac(g[9].mac, g.size(), 500, [&](std::uint32_t k) { return g[k].mac; }), 9u);
}

std::vector<std::uint8_t> bytes(const std::string& s) {
    return {s.begin(), s.end()};
}

FileDigest digest_of(const std::string& s, VerifyMode m) {
    StreamDigest d;
    d.reset(m);
    std::vector<std::uint8_t> b = bytes(s);
    d.update(proto::ConstBytes(b.data(), b.size() / 2));
    d.update(proto::ConstBytes(b.data() + b.size() / 2, b.size() - b.size() / 2));
    return d.finish();
}

TEST(Manifest, FilesCheckAgainstTheirTreeWithOrWithoutTheSerialPrefix) {
    namespace fs = std::filesystem;
    fs::path root = fs::temp_directory_path() / ("rb-manifest-" + std::to_string(::getpid()));
    fs::create_directories(root / "a/overlays");
    fs::create_directories(root / "b/1a2b3c4d");
    std::ofstream(root / "a/kernel8.img") << "kernel a";
    std::ofstream(root / "a/overlays/x.dtbo") << "overlay";
    std::ofstream(root / "b/kernel8.img") << "kernel b";
    std::ofstream(root / "b/1a2b3c4d/kernel8.img") << "kernel b for one board";
    Manifest m;
    auto a = m.load_tree((root / "a").string());
    ASSERT_TRUE(a) << test::reason(a);
    auto b = m.load_tree((root / "b").string());
    ASSERT_TRUE(b) << test::reason(b);
    EXPECT_EQ(m.trees(), 2u);
    for (VerifyMode v : {VerifyMode::sha256, VerifyMode::crc32}) {
        EXPECT_EQ(m.check("kernel8.img", "", digest_of("kernel a", v), v), 0);
        EXPECT_EQ(m.check("kernel8.img", "", digest_of("kernel b", v), v), 1);
        EXPECT_EQ(m.check("kernel8.img", "", digest_of("kernel c", v), v), -1);
        EXPECT_EQ(m.check("overlays/x.dtbo", "", digest_of("overlay", v), v), 0);
        EXPECT_EQ(m.check("1a2b3c4d/kernel8.img", "1a2b3c4d/", digest_of("kernel b for one board", v), v), 1);
        EXPECT_EQ(m.check("1a2b3c4d/kernel8.img", "1a2b3c4d/", digest_of("kernel a", v), v), 0);  // no dir in a
        EXPECT_EQ(m.check("nowhere.bin", "", digest_of("", v), v), -1);
    }
    EXPECT_NE(test::reason(m.load_tree((root / "missing").string())).find("not a readable directory"),
              std::string::npos);
    fs::remove_all(root);

    Manifest first;  // no tree: the first complete read is the reference
    EXPECT_EQ(first.check("f", "", digest_of("one", VerifyMode::crc32), VerifyMode::crc32), 0);
    EXPECT_EQ(first.check("f", "", digest_of("one", VerifyMode::crc32), VerifyMode::crc32), 0);
    EXPECT_EQ(first.check("f", "", digest_of("two", VerifyMode::crc32), VerifyMode::crc32), -1);
}

}  // namespace
}  // namespace rackboot::swarm
