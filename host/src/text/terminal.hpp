// Text that came from files, plugins or peers, made safe to print.
#pragma once

#include <string>

namespace pylabhub::host {

/// `text` with control characters escaped (\x1b...): an escape sequence in a
/// name or message can neither recolour nor rewrite the user's terminal.
std::string terminal_safe(const std::string& text);

}  // namespace pylabhub::host
