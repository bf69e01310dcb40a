#include "pylabhub/platform/shared_memory.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "errno_error.hpp"

namespace pylabhub::platform {
namespace {

constexpr std::size_t kMaxNameLength = 255;        // NAME_MAX, without the leading '/'
constexpr const char* kShmDirectory = "/dev/shm";  // where glibc keeps POSIX shm

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

std::string describe(std::string_view name) { return "shared memory '" + std::string(name) + "'"; }

std::string octal(unsigned mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", mode);
    return text;
}

Result<std::byte*> map(int fd, std::size_t size, ShmAccess access, const std::string& name) {
    const int protection = access == ShmAccess::read_write ? PROT_READ | PROT_WRITE : PROT_READ;
    // Page tables filled now, not by a fault on the first touch of each page:
    // a fresh 64 x 1 MiB ring otherwise takes 16 k faults in its first lap,
    // which held 1 MiB throughput at ~0.7x a memcpy into a ring of that size.
    void* address = ::mmap(nullptr, size, protection, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (address == MAP_FAILED) return detail::errno_error(describe(name), "mmap", errno);
    return static_cast<std::byte*>(address);
}

}  // namespace

Result<std::string> SharedMemory::normalize_name(std::string_view name) {
    std::string_view bare = name;
    if (!bare.empty() && bare.front() == '/') bare.remove_prefix(1);
    if (bare.empty()) {
        return make_error(ErrorCode::invalid_argument, "shared memory name '" + std::string(name) + "' is empty");
    }
    if (bare.size() > kMaxNameLength) {
        return make_error(ErrorCode::invalid_argument,
                          "shared memory name '" + std::string(name.substr(0, 40)) + "...' is " + std::to_string(bare.size()) +
                              " characters long; the limit is " + std::to_string(kMaxNameLength));
    }
    if (bare == "." || bare == "..") {
        return make_error(ErrorCode::invalid_argument, "shared memory name '" + std::string(name) + "' is reserved");
    }
    const auto bad = std::find_if_not(bare.begin(), bare.end(), is_name_char);
    if (bad != bare.end()) {
        return make_error(ErrorCode::invalid_argument,
                          "shared memory name '" + std::string(name) + "' contains '" + std::string(1, *bad) + "' at position " +
                              std::to_string(bad - bare.begin() + (name.size() - bare.size())) +
                              "; allowed are letters, digits, '.', '_' and '-' after one leading '/'");
    }
    return "/" + std::string(bare);
}

Result<SharedMemory> SharedMemory::create(std::string_view name, std::size_t size, const ShmCreateOptions& options) {
    auto canonical = normalize_name(name);
    if (!canonical) return std::move(canonical).error();
    const std::string& shm_name = *canonical;
    if (size == 0) return make_error(ErrorCode::invalid_argument, describe(shm_name) + ": size must be greater than 0");
    if ((options.mode & ~0777U) != 0) {
        return make_error(ErrorCode::invalid_argument, describe(shm_name) + ": permission mode must be within 0777");
    }
    if ((options.mode & 0002U) != 0) {
        return make_error(ErrorCode::invalid_argument,
                          describe(shm_name) +
                              ": a segment writable by every user is refused "
                              "(mode " +
                              octal(options.mode) + "); use 0600 or 0660");
    }
    if (options.replace_existing && ::shm_unlink(shm_name.c_str()) != 0 && errno != ENOENT) {
        return detail::errno_error(describe(shm_name), "unlink of the existing segment", errno);
    }

    const int fd = ::shm_open(shm_name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, options.mode);
    if (fd < 0) return detail::errno_error(describe(shm_name), "create", errno);

    // From here on, a failure must not leave a half-made segment behind.
    auto fail = [&](const char* operation) -> Error {
        const int err = errno;
        ::close(fd);
        ::shm_unlink(shm_name.c_str());
        return detail::errno_error(describe(shm_name), operation, err);
    };
    if (::fchmod(fd, options.mode) != 0) return fail("fchmod");  // undo the umask
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return fail("resize");
    // A sized segment is still sparse: without reserving its pages now, a
    // full /dev/shm shows up later as SIGBUS in whichever process touches
    // a page first. Reserve them, so running out is an error here.
    if (const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(size)); err != 0) {
        ::close(fd);
        ::shm_unlink(shm_name.c_str());
        if (err == ENOSPC) {
            return make_error(ErrorCode::system,
                              describe(shm_name) + ": cannot reserve " + std::to_string(size) +
                                  " bytes: /dev/shm is full (free space: 'df -h /dev/shm'; "
                                  "leftover segments: 'pylabhub admin cleanup')");
        }
        return detail::errno_error(describe(shm_name), "reserve", err);
    }

    auto data = map(fd, size, ShmAccess::read_write, shm_name);
    if (!data) {
        ::close(fd);
        ::shm_unlink(shm_name.c_str());
        return std::move(data).error();
    }
    SharedMemory created(shm_name, *data, size, fd, ShmAccess::read_write);
    created.owner_uid_ = ::geteuid();
    return created;
}

Result<SharedMemory> SharedMemory::attach(std::string_view name, ShmAccess access) {
    auto canonical = normalize_name(name);
    if (!canonical) return std::move(canonical).error();
    const std::string& shm_name = *canonical;

    const int flags = (access == ShmAccess::read_write ? O_RDWR : O_RDONLY) | O_CLOEXEC;
    const int fd = ::shm_open(shm_name.c_str(), flags, 0);
    if (fd < 0) return detail::errno_error(describe(shm_name), "attach", errno);

    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int err = errno;
        ::close(fd);
        return detail::errno_error(describe(shm_name), "fstat", err);
    }
    if (info.st_size <= 0) {
        ::close(fd);
        return make_error(ErrorCode::not_found,
                          describe(shm_name) + ": attach failed: the segment has size 0 (its creator has not sized it yet)");
    }
    // Anyone could have written into it, or replaced what it holds: never use
    // it (shm_open already refuses to follow a symlink).
    if ((info.st_mode & 0002) != 0) {
        ::close(fd);
        return make_error(ErrorCode::permission_denied,
                          describe(shm_name) + ": refused: it is writable by every user (mode " + octal(info.st_mode & 0777) +
                              ", owner uid " + std::to_string(info.st_uid) + "); pyLabHub never makes such a segment");
    }
    const auto size = static_cast<std::size_t>(info.st_size);
    auto data = map(fd, size, access, shm_name);
    if (!data) {
        ::close(fd);
        return std::move(data).error();
    }
    SharedMemory attached(shm_name, *data, size, fd, access);
    attached.owner_uid_ = info.st_uid;
    return attached;
}

bool SharedMemory::owned_by_this_user() const noexcept { return owner_uid_ == ::geteuid(); }

Result<void> SharedMemory::unlink(std::string_view name) {
    auto canonical = normalize_name(name);
    if (!canonical) return std::move(canonical).error();
    if (::shm_unlink(canonical->c_str()) != 0) return detail::errno_error(describe(*canonical), "unlink", errno);
    return {};
}

Result<std::uint64_t> SharedMemory::available_bytes() {
    struct statvfs info {};
    if (::statvfs(kShmDirectory, &info) != 0) return detail::errno_error(kShmDirectory, "statvfs", errno);
    return static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
}

Result<std::vector<std::string>> SharedMemory::list(std::string_view prefix) {
    if (!prefix.empty() && prefix.front() == '/') prefix.remove_prefix(1);
    std::vector<std::string> names;
    std::error_code error;
    for (std::filesystem::directory_iterator entry(kShmDirectory, error), end; !error && entry != end; entry.increment(error)) {
        const std::string file = entry->path().filename().string();
        if (file.compare(0, prefix.size(), prefix) == 0) names.push_back("/" + file);
    }
    if (error) return detail::errno_error(kShmDirectory, "listing", error.value());
    std::sort(names.begin(), names.end());
    return names;
}

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : name_(std::move(other.name_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fd_(std::exchange(other.fd_, -1)),
      access_(other.access_),
      owner_uid_(other.owner_uid_) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
    if (this != &other) {
        close();
        name_ = std::move(other.name_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        fd_ = std::exchange(other.fd_, -1);
        access_ = other.access_;
        owner_uid_ = other.owner_uid_;
    }
    return *this;
}

SharedMemory::~SharedMemory() { close(); }

void SharedMemory::close() noexcept {
    if (data_ != nullptr) ::munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
    data_ = nullptr;
    size_ = 0;
    fd_ = -1;
}

}  // namespace pylabhub::platform
