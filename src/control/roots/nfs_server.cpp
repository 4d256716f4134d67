#include "control/roots/nfs_server.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rackboot::control {

std::string ganesha_config_text(const std::string& listen, std::uint16_t port, const std::vector<NfsExport>& exports) {
    std::string out =
        "# NFS-Ganesha's configuration, written by rackbootd: one export per board with an NFS root,\n"
        "# reached from that board's addresses alone. Edits are overwritten.\n"
        "NFS_CORE_PARAM {\n";
    out += "    NFS_Port = " + std::to_string(port) + ";\n";
    out += "    Bind_addr = " + listen + ";\n";
    out +=
        "    Protocols = 4;\n"
        "    Enable_NLM = false;\n"
        "    Enable_RQUOTA = false;\n"
        "}\n"
        "NFSV4 {\n"
        "    Graceless = true;\n"
        "}\n";
    for (const NfsExport& e : exports) {
        out += "\n# board " + e.name + "\nEXPORT {\n";
        out += "    Export_Id = " + std::to_string(e.id) + ";\n";
        out += "    Path = \"" + e.path + "\";\n";
        out += "    Pseudo = \"" + e.path + "\";\n";
        out +=
            "    Protocols = 4;\n"
            "    Access_Type = None;\n"
            "    Squash = No_Root_Squash;\n"
            "    FSAL {\n"
            "        Name = VFS;\n"
            "    }\n";
        if (!e.allowed.empty()) {
            std::string clients;
            for (proto::Ipv4 ip : e.allowed) {
                if (!clients.empty()) clients += ", ";
                clients += ip.to_string();
            }
            out += "    CLIENT {\n        Clients = " + clients + ";\n        Access_Type = RW;\n    }\n";
        }
        out += "}\n";
    }
    return out;
}

NfsServer::NfsServer(Options o)
    : o_(std::move(o)),
      daemon_(ManagedDaemon::Options{o_.program,
                                     {"-f", o_.dir + "/ganesha.conf", "-p", o_.dir + "/ganesha.pid", "-L",
                                      o_.dir + "/ganesha.log", "-N", "NIV_EVENT"},
                                     o_.dir + "/ganesha.pid",
                                     "ganesha.nfsd",
                                     "ganesha.nfsd"}) {
}

proto::Result<> NfsServer::apply(std::vector<NfsExport> exports) {
    std::sort(exports.begin(), exports.end(), [](const NfsExport& a, const NfsExport& b) { return a.id < b.id; });
    exports_ = exports.size();
    std::string text = ganesha_config_text(o_.listen, o_.port, exports);
    bool changed = read_small_file(config_path()) != text;
    if (changed) {
        if (auto ok = make_dir(o_.dir).and_then([&] { return write_file_atomically(config_path(), text); }); !ok) {
            return ok;
        }
    }
    int pid = daemon_.running_pid();
    if (pid != 0 && changed) {
        if (::kill(pid, SIGHUP) != 0)
            return proto::failure(std::string("reloading ganesha.nfsd: ") + std::strerror(errno));
        ++reloads_;
    }
    if (pid == 0 && !exports.empty()) {
        auto running = daemon_.ensure_running();
        if (!running) {
            pid_ = 0;
            return tl::unexpected(running.error());
        }
        pid = *running;
    }
    pid_ = pid;
    return {};
}

}  // namespace rackboot::control
