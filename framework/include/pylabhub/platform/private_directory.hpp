// A directory only this user can put things in: where the default broker's
// socket lives. In a shared place such as /tmp another user could create it
// first and serve a broker of their own there.
#pragma once

#include <filesystem>

#include "pylabhub/core/result.hpp"

namespace pylabhub::platform {

/// Creates `directory` (mode 0700, parents as needed) when it is missing,
/// then checks it: a real directory (not a symlink), owned by this process's
/// effective user, writable by no one else. permission_denied says what is
/// wrong and whose it is.
Result<void> ensure_private_directory(const std::filesystem::path& directory);

}  // namespace pylabhub::platform
