#include "base/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <unistd.h>
#include <cerrno>

namespace gzca {

UniqueFd::~UniqueFd() {
    if (fd >= 0) ::close(fd);
}

int WriteAll(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return 0;
}

void SyncDirectory(const std::filesystem::path& dir) {
    UniqueFd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd >= 0) ::fsync(d.fd);
}

}  // namespace gzca
