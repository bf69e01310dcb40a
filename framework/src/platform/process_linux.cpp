// Process identity from procfs. /proc/<pid>/stat field 22 is the start time
// in clock ticks since boot; field 3 is the state ('Z' zombie, 'X' dead).
#include "pylabhub/platform/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

namespace pylabhub::platform {
namespace {

struct ProcStat {
    char state = '?';
    std::uint64_t start_time = 0;
};

Result<ProcStat> read_proc_stat(ProcessId pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    std::ifstream file(path);
    if (!file) {
        return make_error(ErrorCode::not_found, "process " + std::to_string(pid) + " does not exist");
    }
    std::string line;
    std::getline(file, line);
    // The command name (field 2) is in parentheses and may itself contain
    // spaces or ')', so parse from the last ')'.
    const auto close_paren = line.rfind(')');
    if (close_paren == std::string::npos || close_paren + 2 >= line.size()) {
        return make_error(ErrorCode::corrupt, "cannot parse " + path);
    }
    std::istringstream fields(line.substr(close_paren + 2));
    ProcStat stat;
    fields >> stat.state;
    std::string skipped;
    for (int field = 4; field < 22; ++field) fields >> skipped;  // fields 4..21
    fields >> stat.start_time;
    if (!fields) return make_error(ErrorCode::corrupt, "cannot parse start time in " + path);
    return stat;
}

}  // namespace

ProcessId current_pid() noexcept { return static_cast<ProcessId>(::getpid()); }

const ProcessIdentity& current_process() noexcept {
    // Recomputed after fork(): a cached identity would name the parent.
    static thread_local ProcessIdentity cached{};
    const ProcessId pid = current_pid();
    if (cached.pid != pid) {
        auto start = process_start_time(pid);
        cached = ProcessIdentity{pid, start ? *start : 0};
    }
    return cached;
}

Result<std::uint64_t> process_start_time(ProcessId pid) {
    if (pid == 0 || pid > static_cast<ProcessId>(std::numeric_limits<pid_t>::max())) {
        return make_error(ErrorCode::invalid_argument, "invalid pid " + std::to_string(pid));
    }
    auto stat = read_proc_stat(pid);
    if (!stat) return std::move(stat).error();
    return stat->start_time;
}

bool is_process_alive(ProcessId pid, std::uint64_t start_time) noexcept {
    if (pid == 0 || pid > static_cast<ProcessId>(std::numeric_limits<pid_t>::max())) return false;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
    try {
        auto stat = read_proc_stat(pid);
        if (!stat) return false;  // exited between kill() and the read
        if (stat->state == 'Z' || stat->state == 'X') return false;
        return start_time == 0 || stat->start_time == start_time;
    } catch (...) {
        // Allocation failure while reading procfs: kill() said the pid exists.
        return true;
    }
}

std::uint64_t owner_word(const ProcessIdentity& who) noexcept { return (who.pid << 32) | (who.start_time & 0xffff'ffffULL); }

bool is_owner_word_alive(std::uint64_t word) noexcept {
    const ProcessId pid = owner_word_pid(word);
    if (!is_process_alive(pid)) return false;
    try {
        auto start_time = process_start_time(pid);
        if (!start_time) return false;
        return (*start_time & 0xffff'ffffULL) == (word & 0xffff'ffffULL);
    } catch (...) {
        return true;  // allocation failure: kill() said the pid exists
    }
}

std::uint64_t raise_open_file_limit(std::uint64_t wanted) noexcept {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= wanted) return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : limit.rlim_cur;
    const rlim_t raised = limit.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, limit.rlim_max);
    if (raised > limit.rlim_cur) {
        rlimit higher{raised, limit.rlim_max};
        if (::setrlimit(RLIMIT_NOFILE, &higher) == 0) return raised;
    }
    return limit.rlim_cur;
}

}  // namespace pylabhub::platform
