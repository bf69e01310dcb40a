#include "pylabhub/platform/private_directory.hpp"

#include <cerrno>
#include <cstdio>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "errno_error.hpp"

namespace pylabhub::platform {

Result<void> ensure_private_directory(const std::filesystem::path& directory) {
    std::error_code error;
    if (!directory.parent_path().empty()) std::filesystem::create_directories(directory.parent_path(), error);
    if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
        return detail::errno_error(directory.string(), "create", errno);
    }
    struct stat info {};
    if (::lstat(directory.c_str(), &info) != 0) return detail::errno_error(directory.string(), "lstat", errno);
    const std::string refusing = directory.string() + ": refused: ";
    const std::string why = "; another user could serve a broker there and learn your channels' secrets";
    if (!S_ISDIR(info.st_mode)) {
        return make_error(ErrorCode::permission_denied, refusing + (S_ISLNK(info.st_mode) ? "a symlink" : "not a directory") + why);
    }
    if (info.st_uid != ::geteuid()) {
        return make_error(ErrorCode::permission_denied,
                          refusing + "it belongs to uid " + std::to_string(info.st_uid) + ", not to you (uid " +
                              std::to_string(::geteuid()) + ")" + why + "; remove it, or set XDG_RUNTIME_DIR");
    }
    if ((info.st_mode & 0022) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 0777));
        return make_error(ErrorCode::permission_denied,
                          refusing + "others may write into it (mode " + mode + ")" + why + "; 'chmod 700 " + directory.string() + "'");
    }
    return {};
}

}  // namespace pylabhub::platform
