// What users would otherwise use, and the machine's own limits, measured
// the same way in the same run.
#include <atomic>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <sodium.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xxhash.h>
#include <zmq.hpp>

#include "baseline_probes.hpp"
#include "harness.hpp"
#include "pylabhub/platform/backoff.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/prefetch.hpp"

namespace pylabhub::bench {
namespace {

using platform::monotonic_time_ns;

double memcpy_gbps(std::uint64_t bytes) {
    std::vector<std::byte> source(bytes, std::byte{1});
    std::vector<std::byte> target(bytes);
    const std::uint64_t rounds = std::max<std::uint64_t>(2'000'000'000ULL / bytes, 100);
    for (std::uint64_t i = 0; i < rounds / 10; ++i) std::memcpy(target.data(), source.data(), bytes);  // warm
    const std::uint64_t start = monotonic_time_ns();
    for (std::uint64_t i = 0; i < rounds; ++i) {
        std::memcpy(target.data(), source.data(), bytes);
        asm volatile("" : : "r"(target.data()) : "memory");  // keep the copy
    }
    return double(rounds * bytes) / double(monotonic_time_ns() - start);
}

/// memcpy of `bytes` chunks into a ring of `ring_bytes`, like a producer
/// filling successive slots: shows the memory bandwidth once the ring
/// outgrows the caches.
double memcpy_ring_gbps(std::uint64_t bytes, std::uint64_t ring_bytes) {
    std::vector<std::byte> source(bytes, std::byte{1});
    std::vector<std::byte> ring(ring_bytes);
    const std::uint64_t slots = ring_bytes / bytes;
    const std::uint64_t rounds = std::max<std::uint64_t>(4'000'000'000ULL / bytes, 2 * slots);
    const std::uint64_t start = monotonic_time_ns();
    for (std::uint64_t i = 0; i < rounds; ++i) {
        std::byte* target = ring.data() + (i % slots) * bytes;
        std::memcpy(target, source.data(), bytes);
        asm volatile("" : : "r"(target) : "memory");
    }
    return double(rounds * bytes) / double(monotonic_time_ns() - start);
}

void write_exact(int fd, const void* data, std::size_t bytes) {
    const auto* p = static_cast<const char*>(data);
    while (bytes > 0) {
        const ssize_t n = ::write(fd, p, bytes);
        if (n <= 0) return;
        p += n;
        bytes -= static_cast<std::size_t>(n);
    }
}
void read_exact(int fd, void* data, std::size_t bytes) {
    auto* p = static_cast<char*>(data);
    while (bytes > 0) {
        const ssize_t n = ::read(fd, p, bytes);
        if (n <= 0) return;
        p += n;
        bytes -= static_cast<std::size_t>(n);
    }
}

std::vector<double> uds_ping_pong(std::uint64_t bytes, int iterations) {
    int fds[2];
    ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    const int child = fork_child([&] {
        std::vector<char> buffer(bytes);
        for (int i = 0; i < iterations; ++i) {
            read_exact(fds[1], buffer.data(), bytes);
            write_exact(fds[1], buffer.data(), bytes);
        }
    });
    std::vector<char> buffer(bytes, 'x');
    std::vector<double> one_way;
    for (int i = 0; i < iterations; ++i) {
        const std::uint64_t start = monotonic_time_ns();
        write_exact(fds[0], buffer.data(), bytes);
        read_exact(fds[0], buffer.data(), bytes);
        one_way.push_back(double(monotonic_time_ns() - start) / 2.0);
    }
    wait_child(child);
    ::close(fds[0]);
    ::close(fds[1]);
    return one_way;
}

double uds_throughput(std::uint64_t bytes, std::uint64_t count) {
    int fds[2];
    ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    const int child = fork_child([&] {
        std::vector<char> buffer(bytes);
        for (std::uint64_t i = 0; i < count; ++i) read_exact(fds[1], buffer.data(), bytes);
    });
    std::vector<char> buffer(bytes, 'x');
    const std::uint64_t start = monotonic_time_ns();
    for (std::uint64_t i = 0; i < count; ++i) write_exact(fds[0], buffer.data(), bytes);
    wait_child(child);
    const double rate = double(count) / (double(monotonic_time_ns() - start) * 1e-9);
    ::close(fds[0]);
    ::close(fds[1]);
    return rate;
}

}  // namespace

std::string ipc_endpoint() { return "ipc:///tmp/plh-bench-" + std::to_string(::getpid()) + ".ipc"; }

double zmq_push_pull(const std::string& endpoint, std::uint64_t bytes, std::uint64_t count) {
    Pipe ready;
    const int child = fork_child([&] {
        zmq::context_t context;
        zmq::socket_t pull(context, zmq::socket_type::pull);
        pull.bind(endpoint);
        const std::uint8_t yes = 1;
        ready.write_all(&yes, 1);
        for (std::uint64_t i = 0; i < count; ++i) {
            zmq::message_t message;
            if (!pull.recv(message)) return;
        }
        ready.write_all(&yes, 1);
    });
    std::uint8_t yes = 0;
    ready.read_all(&yes, 1);
    zmq::context_t context;
    zmq::socket_t push(context, zmq::socket_type::push);
    push.connect(endpoint);
    std::vector<char> payload(bytes, 'x');
    const std::uint64_t start = monotonic_time_ns();
    for (std::uint64_t i = 0; i < count; ++i) push.send(zmq::buffer(payload), zmq::send_flags::none);
    ready.read_all(&yes, 1);  // the last message arrived
    const double rate = double(count) / (double(monotonic_time_ns() - start) * 1e-9);
    wait_child(child);
    if (endpoint.rfind("ipc://", 0) == 0) ::unlink(endpoint.substr(6).c_str());
    return rate;
}

std::vector<double> shm_ping_pong(int iterations) {
    auto* line = static_cast<std::atomic<std::uint64_t>*>(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    new (line) std::atomic<std::uint64_t>(0);
    const int child = fork_child([&] {
        for (std::uint64_t i = 1; i <= static_cast<std::uint64_t>(iterations); ++i) {
            while (line->load(std::memory_order_acquire) != 2 * i - 1) platform::cpu_relax();
            line->store(2 * i, std::memory_order_release);
        }
    });
    std::vector<double> one_way;
    for (std::uint64_t i = 1; i <= static_cast<std::uint64_t>(iterations); ++i) {
        const std::uint64_t start = monotonic_time_ns();
        line->store(2 * i - 1, std::memory_order_release);
        while (line->load(std::memory_order_acquire) != 2 * i) platform::cpu_relax();
        one_way.push_back(double(monotonic_time_ns() - start) / 2.0);
    }
    wait_child(child);
    ::munmap(line, 4096);
    one_way.erase(one_way.begin(), one_way.begin() + 100);
    return one_way;
}

double raw_locked_ring(std::uint32_t slots, std::uint64_t count) {
    constexpr std::uint64_t kRun = 32;
    if (slots <= kRun) return std::nan("");  // a run must fit beside the slot the reader keeps
    struct alignas(64) Line {
        std::atomic<std::uint64_t> word;
        std::byte rest[56];
    };
    const std::size_t bytes = sizeof(Line) * (2 + 2 * std::size_t{slots});
    auto* lines = static_cast<Line*>(::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
    for (std::size_t i = 0; i < bytes / sizeof(Line); ++i) new (&lines[i].word) std::atomic<std::uint64_t>(0);
    Line& head = lines[0];  // written up to here (one store a run)
    Line& tail = lines[1];  // read up to here (one store a run)
    Line* state = lines + 2;
    Line* payload = state + slots;
    const int child = fork_child([&] {
        std::uint64_t sum = 0;
        for (std::uint64_t read = 0; read < count;) {
            std::uint64_t written = 0;
            while ((written = head.word.load(std::memory_order_acquire)) == read) platform::cpu_relax();
            for (; read < written; ++read) {
                sum += state[read % slots].word.load(std::memory_order_relaxed) + std::uint64_t(payload[read % slots].rest[0]);
            }
            tail.word.store(read, std::memory_order_release);
        }
        if (sum == 1) std::_Exit(3);  // keeps the reads
    });
    const std::uint64_t start = monotonic_time_ns();
    for (std::uint64_t written = 0; written < count; written += kRun) {
        while (written + kRun > tail.word.load(std::memory_order_acquire) + slots - 1) platform::cpu_relax();
        for (std::uint64_t i = 0; i < kRun; ++i) platform::prefetch_for_write(&state[(written + i) % slots]);
        for (std::uint64_t i = 0; i < kRun; ++i) {
            Line& line = state[(written + i) % slots];
            std::uint64_t seen = line.word.load(std::memory_order_relaxed);
            line.word.compare_exchange_strong(seen, written + i, std::memory_order_acquire);
            std::memset(payload[(written + i) % slots].rest, 0x5a, sizeof Line::rest);
        }
        head.word.store(written + kRun, std::memory_order_release);
    }
    wait_child(child);
    const double rate = double(count) / (double(monotonic_time_ns() - start) * 1e-9);
    ::munmap(lines, bytes);
    return rate;
}

std::vector<double> zmq_req_rep(const std::string& endpoint, std::uint64_t bytes, int iterations) {
    Pipe ready;
    const int child = fork_child([&] {
        zmq::context_t context;
        zmq::socket_t reply(context, zmq::socket_type::rep);
        reply.bind(endpoint);
        const std::uint8_t yes = 1;
        ready.write_all(&yes, 1);
        for (int i = 0; i < iterations; ++i) {
            zmq::message_t message;
            if (!reply.recv(message)) return;
            reply.send(message, zmq::send_flags::none);
        }
    });
    std::uint8_t yes = 0;
    ready.read_all(&yes, 1);
    zmq::context_t context;
    zmq::socket_t request(context, zmq::socket_type::req);
    request.connect(endpoint);
    std::vector<char> payload(bytes, 'x');
    std::vector<double> one_way;
    for (int i = 0; i < iterations; ++i) {
        const std::uint64_t start = monotonic_time_ns();
        request.send(zmq::buffer(payload), zmq::send_flags::none);
        zmq::message_t answer;
        if (!request.recv(answer)) break;
        one_way.push_back(double(monotonic_time_ns() - start) / 2.0);
    }
    wait_child(child);
    if (endpoint.rfind("ipc://", 0) == 0) ::unlink(endpoint.substr(6).c_str());
    one_way.erase(one_way.begin(), one_way.begin() + std::min<std::size_t>(one_way.size(), 50));
    return one_way;
}

namespace {

double hash_gbps(bool blake2b, std::uint64_t bytes) {
    std::vector<unsigned char> data(bytes, 7);
    unsigned char digest[32];
    const std::uint64_t rounds = std::max<std::uint64_t>((blake2b ? 300'000'000ULL : 3'000'000'000ULL) / bytes, 20);
    const std::uint64_t start = monotonic_time_ns();
    for (std::uint64_t i = 0; i < rounds; ++i) {
        if (blake2b) {
            crypto_generichash(digest, 32, data.data(), bytes, nullptr, 0);
        } else {
            const auto h = XXH3_64bits(data.data(), bytes);
            std::memcpy(digest, &h, 8);
        }
        asm volatile("" : : "r"(digest) : "memory");
    }
    return double(rounds * bytes) / double(monotonic_time_ns() - start);
}

}  // namespace

void run_baseline_cases(Results& results) {
    if (::sodium_init() < 0) return;
    for (std::uint64_t bytes : {64ULL, 4096ULL, 1ULL << 20}) {
        std::vector<double> gbps;
        for (int r = 0; r < kRepetitions; ++r) gbps.push_back(memcpy_gbps(bytes));
        results.add({"throughput", "memcpy (1 core)", bytes, "GB/s", median(gbps), "GB/s"});
        std::vector<double> ring;
        for (int r = 0; r < kRepetitions; ++r) ring.push_back(memcpy_ring_gbps(bytes, 64 * bytes));
        results.add({"throughput", "memcpy into a 64-slot ring", bytes, "GB/s", median(ring), "GB/s"});
    }
    {
        std::vector<double> p50s, p99s;
        for (int r = 0; r < kRepetitions; ++r) {
            const auto p = percentiles(shm_ping_pong(100'000));
            p50s.push_back(p.p50);
            p99s.push_back(p.p99);
        }
        results.add({"latency", "raw shm ping-pong", 8, "p50", median(p50s), "ns"});
        results.add({"latency", "raw shm ping-pong", 8, "p99", median(p99s), "ns"});
    }
    for (std::uint64_t bytes : {64ULL, 4096ULL, 1ULL << 20}) {
        const int iterations = bytes >= (1 << 20) ? 300 : 5000;
        std::vector<double> uds50, uds99, zmq50, zmq99;
        for (int r = 0; r < kRepetitions; ++r) {
            const auto u = percentiles(uds_ping_pong(bytes, iterations));
            uds50.push_back(u.p50);
            uds99.push_back(u.p99);
            const auto z = percentiles(zmq_req_rep(ipc_endpoint(), bytes, iterations));
            zmq50.push_back(z.p50);
            zmq99.push_back(z.p99);
        }
        results.add({"latency", "unix socket", bytes, "p50", median(uds50), "ns"});
        results.add({"latency", "unix socket", bytes, "p99", median(uds99), "ns"});
        results.add({"latency", "zeromq ipc req/rep", bytes, "p50", median(zmq50), "ns"});
        results.add({"latency", "zeromq ipc req/rep", bytes, "p99", median(zmq99), "ns"});

        const std::uint64_t count = std::clamp<std::uint64_t>(1'000'000'000ULL / bytes, 500, 1'000'000);
        std::vector<double> uds_rate, zmq_rate;
        for (int r = 0; r < kRepetitions; ++r) {
            uds_rate.push_back(uds_throughput(bytes, count));
            zmq_rate.push_back(zmq_push_pull(ipc_endpoint(), bytes, count));
        }
        results.add({"throughput", "unix socket", bytes, "slots/s", median(uds_rate), "1/s"});
        results.add({"throughput", "unix socket", bytes, "GB/s", median(uds_rate) * double(bytes) / 1e9, "GB/s"});
        results.add({"throughput", "zeromq ipc push/pull", bytes, "slots/s", median(zmq_rate), "1/s"});
        results.add({"throughput", "zeromq ipc push/pull", bytes, "GB/s", median(zmq_rate) * double(bytes) / 1e9, "GB/s"});
    }
    std::vector<double> xxh, blake;
    for (int r = 0; r < kRepetitions; ++r) {
        xxh.push_back(hash_gbps(false, 1 << 20));
        blake.push_back(hash_gbps(true, 1 << 20));
    }
    results.add({"hash", "xxh3 (raw)", 1 << 20, "GB/s", median(xxh), "GB/s"});
    results.add({"hash", "blake2b (raw libsodium)", 1 << 20, "GB/s", median(blake), "GB/s"});
}

}  // namespace pylabhub::bench
