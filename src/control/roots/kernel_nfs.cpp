#include "control/roots/kernel_nfs.h"

#include <algorithm>
#include <cstdlib>

#include "control/roots/managed_daemon.h"

namespace rackboot::control {

std::string kernel_exports_text(const std::vector<NfsExport>& exports) {
    std::string out =
        "# The kernel's NFS exports of boards' roots, written by rackbootd (--nfs-server kernel): each\n"
        "# root reached from its board's addresses alone. Edits are overwritten.\n";
    for (const NfsExport& e : exports) {
        out += "# board " + e.name + "\n";
        if (e.allowed.empty()) {
            out += "# " + e.path + ": no address known yet, not exported\n";
            continue;
        }
        out += "\"" + e.path + "\"";
        for (proto::Ipv4 ip : e.allowed) {
            out += " " + ip.to_string() +
                   "(rw,sync,no_subtree_check,no_root_squash,sec=sys,fsid=" + std::to_string(e.id) + ")";
        }
        out += "\n";
    }
    return out;
}

proto::Result<> KernelNfs::apply(std::vector<NfsExport> exports) {
    std::sort(exports.begin(), exports.end(), [](const NfsExport& a, const NfsExport& b) { return a.id < b.id; });
    exports_ = exports.size();
    std::string text = kernel_exports_text(exports);
    if (read_small_file(o_.exports_file) != text) {
        std::string dir = o_.exports_file.substr(0, o_.exports_file.rfind('/'));
        if (auto ok = make_dir(dir).and_then([&] { return write_file_atomically(o_.exports_file, text); }); !ok) {
            return ok;
        }
        pending_ = true;
    }
    if (!pending_) return {};
    if (auto ok = run_program(o_.exportfs, {"-ra"}, 10'000); !ok) return ok;
    pending_ = false;
    ++reexports_;
    return {};
}

KernelNfs::Status KernelNfs::status() const {
    std::string threads = read_small_file(o_.nfsd_threads);
    return Status{std::atoi(threads.c_str()) > 0, exports_, reexports_};
}

}  // namespace rackboot::control
