// POSIX shared memory segments: create, attach, close, unlink.
//
// Names follow POSIX: one leading '/' (added when missing), then 1..255
// characters from [A-Za-z0-9._-]. Every error names the segment and the
// cause. A SharedMemory object owns one mapping; closing it never removes
// the segment (other processes may still use it); unlink() does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pylabhub/core/result.hpp"

namespace pylabhub::platform {

enum class ShmAccess { read_only, read_write };

struct ShmCreateOptions {
    /// Permission bits, applied exactly (the umask does not narrow them).
    std::uint32_t mode = 0600;
    /// Unlink a segment of the same name first instead of failing with already_exists.
    bool replace_existing = false;
};

class SharedMemory {
public:
    /// Creates a new zero-filled segment of `size` bytes and maps it read-write.
    static Result<SharedMemory> create(std::string_view name, std::size_t size, const ShmCreateOptions& options = {});

    /// Maps an existing segment at its current size.
    static Result<SharedMemory> attach(std::string_view name, ShmAccess access = ShmAccess::read_write);

    /// Removes the name; mappings that exist stay valid until closed.
    static Result<void> unlink(std::string_view name);

    /// The canonical form ("/name") of a valid name, or why it is not valid.
    static Result<std::string> normalize_name(std::string_view name);

    /// Bytes still free for new segments (the tmpfs behind /dev/shm).
    static Result<std::uint64_t> available_bytes();

    /// Names (canonical form) of the segments whose name starts with `prefix`
    /// (with or without the leading '/').
    static Result<std::vector<std::string>> list(std::string_view prefix);

    SharedMemory(SharedMemory&& other) noexcept;
    SharedMemory& operator=(SharedMemory&& other) noexcept;
    SharedMemory(const SharedMemory&) = delete;
    SharedMemory& operator=(const SharedMemory&) = delete;
    ~SharedMemory();

    /// Unmaps and closes; the object is then empty. Idempotent.
    void close() noexcept;

    std::byte* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    const std::string& name() const noexcept { return name_; }
    bool is_open() const noexcept { return data_ != nullptr; }
    ShmAccess access() const noexcept { return access_; }
    /// Whether the segment's file belongs to this process's effective user:
    /// a segment another user left is never adopted as our own.
    bool owned_by_this_user() const noexcept;

private:
    SharedMemory(std::string name, std::byte* data, std::size_t size, int fd, ShmAccess access) noexcept
        : name_(std::move(name)), data_(data), size_(size), fd_(fd), access_(access) {}

    std::string name_;
    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    int fd_ = -1;
    ShmAccess access_ = ShmAccess::read_write;
    std::uint32_t owner_uid_ = 0;
};

}  // namespace pylabhub::platform
