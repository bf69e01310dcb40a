// Checking a shared library file before the dynamic loader maps it: a
// truncated file (an interrupted copy or build) would otherwise map pages
// past its end and die of SIGBUS inside dlopen.
#pragma once

#include <filesystem>

#include "pylabhub/core/result.hpp"

namespace pylabhub::platform {

/// Whether `file` is a whole shared library for this machine: every part its
/// headers describe lies inside the file. invalid_argument names what is
/// wrong (not a library for this machine, truncated at byte N of M).
Result<void> check_library_file(const std::filesystem::path& file);

}  // namespace pylabhub::platform
