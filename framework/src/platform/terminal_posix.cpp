#include "pylabhub/platform/terminal.hpp"

#include <cstring>
#include <thread>

#include <poll.h>
#include <termios.h>
#include <unistd.h>

namespace pylabhub::platform {

static_assert(sizeof(termios) <= 64, "KeyReader keeps a termios in 64 bytes");

KeyReader::KeyReader() {
    if (::isatty(STDIN_FILENO) == 0) return;
    termios current{};
    if (::tcgetattr(STDIN_FILENO, &current) != 0) return;
    std::memcpy(saved_, &current, sizeof current);
    termios raw = current;
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    raw_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

KeyReader::~KeyReader() {
    if (!raw_) return;
    termios saved{};
    std::memcpy(&saved, saved_, sizeof saved);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

std::optional<char> KeyReader::key(std::chrono::milliseconds timeout) {
    if (!raw_) {
        std::this_thread::sleep_for(timeout);
        return std::nullopt;
    }
    pollfd item{STDIN_FILENO, POLLIN, 0};
    if (::poll(&item, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char c = 0;
    if (::read(STDIN_FILENO, &c, 1) != 1) return std::nullopt;
    return c;
}

bool KeyReader::output_is_terminal() { return ::isatty(STDOUT_FILENO) != 0; }

}  // namespace pylabhub::platform
