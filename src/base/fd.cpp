#include "base/fd.h"

#include <fcntl.h>
#include <unistd.h>

namespace gzca {

UniqueFd::~UniqueFd() {
    if (fd >= 0) ::close(fd);
}

void SyncDirectory(const std::filesystem::path& dir) {
    UniqueFd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd >= 0) ::fsync(d.fd);
}

}  // namespace gzca
