// The event stream's id reservation: ids go on after the last recorded one, and a file that holds
// no number refuses to start.
#include "control/store/event_ids.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

namespace fs = std::filesystem;

struct Dir {
    fs::path path;
    Dir() {
        char tmpl[] = "/tmp/rb-event-ids.XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~Dir() { fs::remove_all(path); }
};

TEST(EventIdStore, IdsStartAtOneThenGoOnAfterWhatWasRecorded) {
    Dir d;
    auto first = EventIdStore::open(d.path.string());
    ASSERT_TRUE(first) << first.error().reason;
    EXPECT_EQ(first->first_id(), 1u);
    ASSERT_TRUE(first->record(16384));
    auto again = EventIdStore::open(d.path.string());
    ASSERT_TRUE(again) << again.error().reason;
    EXPECT_EQ(again->first_id(), 16385u);
    EXPECT_FALSE(fs::exists(d.path / "event-ids.tmp"));
}

TEST(EventIdStore, AFileThatHoldsNoNumberRefusesAndSaysWhich) {
    Dir d;
    for (const char* text : {"", "12x\n", "-3\n", "18446744073709551615\n"}) {
        std::ofstream(d.path / "event-ids") << text;
        auto s = EventIdStore::open(d.path.string());
        ASSERT_FALSE(s) << text;
        EXPECT_NE(s.error().reason.find("event-ids"), std::string::npos) << s.error().reason;
    }
}

}  // namespace
}  // namespace rackboot::control
