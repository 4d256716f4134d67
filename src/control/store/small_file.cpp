#include "control/store/small_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace rackboot::control {

namespace {

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

}  // namespace

std::string read_small_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

proto::Result<> write_file_atomically(const std::string& path, const std::string& text) {
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) return proto::failure(errno_text("writing " + tmp));
    auto give_up = [&](const std::string& what) {
        auto why = proto::failure(errno_text(what));
        ::close(fd);
        (void)::unlink(tmp.c_str());
        return why;
    };
    for (std::size_t done = 0; done < text.size();) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return give_up("writing " + tmp);
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) return give_up("writing " + tmp);
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        auto why = proto::failure(errno_text("renaming " + tmp));
        (void)::unlink(tmp.c_str());
        return why;
    }
    std::string dir = path.substr(0, path.find_last_of('/') + 1);
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

}  // namespace rackboot::control
