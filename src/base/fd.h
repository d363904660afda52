#pragma once
// POSIX file descriptors: an owning handle, and making a directory entry durable.
//
// Thread-safety: a UniqueFd is a plain owner (one thread at a time); SyncDirectory may be called
// from any thread.

#include <cstddef>
#include <filesystem>

namespace gzca {

// Owns a file descriptor and closes it on destruction. `fd` < 0 means none (e.g. a failed
// ::open, whose errno the caller still reads right after).
struct UniqueFd {
    int fd = -1;

    explicit UniqueFd(int f = -1) : fd(f) {}
    ~UniqueFd();
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
};

// Writes all of `data` to `fd`, retrying short writes and EINTR. Returns 0, or the errno of
// the failed write(2).
int WriteAll(int fd, const void* data, std::size_t size);

// fsync(2)s the directory itself, so that a file created, renamed or linked in it survives a
// crash (POSIX leaves directory entries volatile until then). Best effort: a directory that
// cannot be opened is left alone (the caller's own write already reported real I/O errors).
void SyncDirectory(const std::filesystem::path& dir);

}  // namespace gzca
