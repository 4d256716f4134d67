// What the REST API's tests share: a scratch directory with image directories (each holding a
// start4.elf), a SQLite inventory beside them, and a RestApi over both that takes kToken.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "control/api/rest_api.h"
#include "control/store/inventory_store.h"

namespace rackboot::control::test {

class RestFixture : public ::testing::Test {
protected:
    static constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

    explicit RestFixture(std::vector<std::string> images) : images_(std::move(images)) {}

    void SetUp() override {
        char tmpl[] = "/tmp/rb-rest.XXXXXX";
        dir_ = mkdtemp(tmpl);
        for (const std::string& img : images_) {
            std::filesystem::create_directories(dir_ / "images" / img);
            std::ofstream(dir_ / "images" / img / "start4.elf") << img;
        }
        auto opened = open_sqlite_inventory((dir_ / "inventory.sqlite").string());
        ASSERT_TRUE(opened) << opened.error().reason;
        store_ = std::move(*opened);
        api_ = std::make_unique<RestApi>(store_.get(), (dir_ / "images").string(), kToken);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path dir_;
    std::unique_ptr<InventoryStore> store_;
    std::unique_ptr<RestApi> api_;

private:
    std::vector<std::string> images_;
};

}  // namespace rackboot::control::test
