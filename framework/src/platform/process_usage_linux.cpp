// process_* metrics from /proc/self, as Prometheus's client libraries read them.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

#include "pylabhub/platform/process.hpp"

namespace pylabhub::platform {

ProcessUsage current_process_usage() {
    ProcessUsage usage;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    std::ifstream stat("/proc/self/stat");
    std::string line;
    if (std::getline(stat, line) && ticks > 0) {
        // Fields after the command name (which may hold spaces, in parentheses).
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        std::string field;
        unsigned long long utime = 0, stime = 0, starttime = 0, vsize = 0;
        long long rss = 0;
        for (int i = 3; rest >> field; ++i) {
            if (i == 14) utime = std::stoull(field);
            else if (i == 15) stime = std::stoull(field);
            else if (i == 22) starttime = std::stoull(field);
            else if (i == 23) vsize = std::stoull(field);
            else if (i == 24) {
                rss = std::stoll(field);
                break;
            }
        }
        usage.cpu_seconds = double(utime + stime) / ticks;
        usage.virtual_bytes = vsize;
        usage.resident_bytes = static_cast<std::uint64_t>(rss) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
        std::ifstream uptime("/proc/uptime");
        double up = 0;
        if (uptime >> up) usage.start_time_seconds = double(std::time(nullptr)) - up + double(starttime) / ticks;
    }
    std::error_code ignored;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ignored); it != std::filesystem::directory_iterator();
         it.increment(ignored)) {
        ++usage.open_fds;
    }
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) usage.max_fds = limit.rlim_cur;
    return usage;
}

}  // namespace pylabhub::platform
