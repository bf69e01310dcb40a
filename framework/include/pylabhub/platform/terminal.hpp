// Keys from the terminal one at a time, for full-screen commands (`top`).
#pragma once

#include <chrono>
#include <optional>

namespace pylabhub::platform {

/// While it lives, standard input (when a terminal) delivers each key as
/// it is pressed, without echo; the terminal is restored when it goes.
class KeyReader {
public:
    KeyReader();
    ~KeyReader();
    KeyReader(const KeyReader&) = delete;
    KeyReader& operator=(const KeyReader&) = delete;

    /// The next key, waiting up to `timeout`; nullopt when none came (or
    /// standard input is not a terminal: then it just waits).
    std::optional<char> key(std::chrono::milliseconds timeout);
    /// True when standard output is a terminal (worth clearing).
    static bool output_is_terminal();

private:
    bool raw_ = false;
    unsigned char saved_[64] = {};  // struct termios, kept opaque here
};

}  // namespace pylabhub::platform
