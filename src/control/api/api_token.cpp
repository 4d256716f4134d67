#include "control/api/api_token.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rackboot::control {

proto::Result<std::string> load_api_token(const std::string& path, bool create) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT && create) {
        std::array<unsigned char, 32> raw{};
        if (getrandom(raw.data(), raw.size(), 0) != static_cast<ssize_t>(raw.size())) {
            return proto::failure("--api-token-file: no randomness for a token: " + std::string(std::strerror(errno)));
        }
        std::string hex;
        for (unsigned char c : raw) {
            char b[3];
            std::snprintf(b, sizeof b, "%02x", c);
            hex += b;
        }
        hex += '\n';
        int w = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (w < 0 || write(w, hex.data(), hex.size()) != static_cast<ssize_t>(hex.size()) || fsync(w) != 0) {
            std::string reason = "--api-token-file: cannot create '" + path + "': " + std::strerror(errno);
            if (w >= 0) close(w);
            return proto::failure(reason);
        }
        close(w);
        fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) {
        return proto::failure("--api-token-file: cannot read '" + path + "': " + std::strerror(errno));
    }
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        close(fd);
        return proto::failure("--api-token-file: '" + path +
                              "' must be a regular file only its owner can read (chmod 600)");
    }
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    std::string token(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.size() < 16 || token.find_first_of(" \t\r\n") != std::string::npos) {
        return proto::failure("--api-token-file: '" + path + "' holds no token (one line of at least 16 characters)");
    }
    return token;
}

}  // namespace rackboot::control
