#include "dataplane/dpdk/port/dpdk_eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cctype>

namespace rackboot::dataplane {

namespace {
bool g_initialised = false;
}

std::vector<std::string> split_eal_args(const std::string& args) {
    std::vector<std::string> out;
    std::string cur;
    bool in_token = false;
    char quote = 0;
    for (char c : args) {
        if (quote != 0) {
            if (c == quote) {
                quote = 0;
            } else {
                cur += c;
            }
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
            in_token = true;
        } else if (std::isspace(static_cast<unsigned char>(c)) != 0) {
            if (in_token) out.push_back(cur);
            cur.clear();
            in_token = false;
        } else {
            cur += c;
            in_token = true;
        }
    }
    if (in_token) out.push_back(cur);
    return out;
}

proto::Result<> DpdkEal::init(const std::string& args) {
    if (g_initialised) return {};
    std::vector<std::string> words = split_eal_args(args);
    words.insert(words.begin(), "rackbootd");
    std::vector<char*> argv;
    argv.reserve(words.size() + 1);
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    if (rte_eal_init(static_cast<int>(words.size()), argv.data()) < 0) {
        return proto::failure(std::string("--eal: DPDK EAL initialisation failed: ") + rte_strerror(rte_errno) +
                              " (args: " + args + ")");
    }
    g_initialised = true;
    return {};
}

void DpdkEal::cleanup() {
    if (!g_initialised) return;
    // With --no-shconf the EAL still makes an (empty) runtime directory and leaves it behind.
    std::string runtime_dir = rte_eal_get_runtime_dir();
    rte_eal_cleanup();
    if (!runtime_dir.empty()) rmdir(runtime_dir.c_str());  // only succeeds when it is empty
    g_initialised = false;
}

}  // namespace rackboot::dataplane
