#include "harness.hpp"

#include "pylabhub/platform/clock.hpp"

#include <cerrno>
#include <cmath>
#include <stdexcept>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace pylabhub::bench {

Percentiles percentiles(std::vector<double> samples) {
    if (samples.empty()) return {};
    std::sort(samples.begin(), samples.end());
    auto at = [&](double p) { return samples[std::min(samples.size() - 1, static_cast<std::size_t>(p * double(samples.size())))]; };
    return {at(0.50), at(0.95), at(0.99)};
}

double median(std::vector<double> values) {
    if (values.empty()) return std::nan("");
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

double Results::get(const std::string& group, const std::string& system, std::uint64_t bytes, const std::string& metric) const {
    for (const auto& r : results_) {
        if (r.group == group && r.system == system && r.bytes == bytes && r.metric == metric) return r.value;
    }
    return std::nan("");
}

int fork_child(const std::function<void()>& body) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::alarm(120);
        try {
            body();
        } catch (...) {
            ::_exit(1);
        }
        ::_exit(0);
    }
    return pid;
}

bool wait_child(int pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Pipe::Pipe() {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    read_fd = fds[0];
    write_fd = fds[1];
}

Pipe::~Pipe() {
    ::close(read_fd);
    ::close(write_fd);
}

void Pipe::write_all(const void* data, std::size_t bytes) const {
    const auto* p = static_cast<const char*>(data);
    while (bytes > 0) {
        const ssize_t n = ::write(write_fd, p, bytes);
        if (n <= 0 && errno != EINTR) throw std::runtime_error("pipe write failed");
        if (n > 0) {
            p += n;
            bytes -= static_cast<std::size_t>(n);
        }
    }
}

void Pipe::read_all(void* data, std::size_t bytes) const {
    auto* p = static_cast<char*>(data);
    while (bytes > 0) {
        const ssize_t n = ::read(read_fd, p, bytes);
        if (n == 0) throw std::runtime_error("pipe closed");
        if (n < 0 && errno != EINTR) throw std::runtime_error("pipe read failed");
        if (n > 0) {
            p += n;
            bytes -= static_cast<std::size_t>(n);
        }
    }
}

void pace_until(std::uint64_t due_ns, Pacing pacing) {
    if (pacing == Pacing::sleep) return platform::sleep_until_monotonic_ns(due_ns);
    while (platform::monotonic_time_ns() < due_ns) {
    }
}

std::string human_bytes(std::uint64_t bytes) {
    if (bytes >= 1 << 20) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= 1 << 10) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " B";
}

}  // namespace pylabhub::bench
