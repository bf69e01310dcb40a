// Eclipse iceoryx (Debian's 2.0.3) as a peer, measured the way the
// DataBlock is (datablock_cases.cpp): its own iox-roudi, started and stopped
// here with a memory configuration that holds the sizes; ping-pong latency
// with busy polling (take() in a loop, as iceperf does), lossless
// publisher -> subscriber throughput (queue of 64, BLOCK_PRODUCER /
// WAIT_FOR_CONSUMER: the DataBlock's 64-slot single_reader ring), and
// fan-out 1 -> 10 with each subscriber asleep in a WaitSet.
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iterator>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "datablock_probes.hpp"
#include "harness.hpp"
#include "iceoryx_hoofs/log/logmanager.hpp"
#include "iceoryx_posh/popo/untyped_publisher.hpp"
#include "iceoryx_posh/popo/untyped_subscriber.hpp"
#include "iceoryx_posh/popo/wait_set.hpp"
#include "iceoryx_posh/runtime/posh_runtime.hpp"
#include "pylabhub/platform/clock.hpp"

namespace pylabhub::bench {
namespace {

using platform::monotonic_time_ns;

/// iox-roudi for the length of the group; stopped (SIGTERM, then SIGKILL)
/// when it goes out of scope, which removes its shared memory.
class Roudi {
public:
    Roudi() {
        dir_ = std::filesystem::temp_directory_path() / ("plh-bench-roudi-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        const std::string config = (dir_ / "roudi.toml").string();
        std::ofstream toml(config);
        toml << "[general]\nversion = 1\n\n[[segment]]\n";
        // chunk = payload + iceoryx's chunk header; room for a 64-deep queue
        // plus the slots in flight at each size.
        for (auto [size, count] : {std::pair{256, 4000}, {8192, 400}, {(1 << 20) + 4096, 80}}) {
            toml << "\n[[segment.mempool]]\nsize = " << size << "\ncount = " << count << "\n";
        }
        toml.close();
        const std::string log = (dir_ / "roudi.log").string();
        pid_ = ::fork();
        if (pid_ == 0) {
            // Its chatter goes to a file, not into the bench's table.
            if (const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600); out >= 0) {
                ::dup2(out, STDOUT_FILENO);
                ::dup2(out, STDERR_FILENO);
            }
            ::execl(PLH_IOX_ROUDI, PLH_IOX_ROUDI, "-c", config.c_str(), "-l", "warning", "-m", "off", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Ready when it says so; a RouDi that cannot start (another one runs) exits.
        for (int i = 0; i < 1000; ++i) {
            std::ifstream said(log);
            const std::string text((std::istreambuf_iterator<char>(said)), std::istreambuf_iterator<char>());
            if (text.find("RouDi is ready for clients") != std::string::npos) return;
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                stop();
                throw std::runtime_error("iox-roudi exited at start (is another RouDi running?): " + text.substr(0, 300));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        stop();
        throw std::runtime_error("iox-roudi did not say it was ready within 10 s");
    }
    ~Roudi() { stop(); }
    Roudi(const Roudi&) = delete;
    Roudi& operator=(const Roudi&) = delete;

private:
    void stop() noexcept {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            for (int i = 0; i < 300 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            if (::waitpid(pid_, &status, WNOHANG) == 0) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
            }
            pid_ = -1;
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    pid_t pid_ = -1;
    std::filesystem::path dir_;
};

void init_runtime(const std::string& name) {
    iox::log::LogManager::GetLogManager().SetDefaultLogLevel(iox::log::LogLevel::kWarn, iox::log::LogLevelOutput::kHideLogLevel);
    iox::runtime::PoshRuntime::initRuntime(iox::RuntimeName_t(iox::cxx::TruncateToCapacity, name.c_str()));
}

iox::capro::ServiceDescription topic(const std::string& event) {
    return {"PlhBench", "Topic", iox::capro::IdString_t(iox::cxx::TruncateToCapacity, event.c_str())};
}

/// A child process with its own iceoryx runtime. It leaves with exit(), not
/// _exit(), so the runtime's destructor deregisters it from RouDi (a process
/// RouDi still lists when it stops is one it tries to kill, and aborts on).
int fork_iceoryx_child(const std::function<void()>& body) {
    return fork_child([&] {
        body();
        std::exit(0);
    });
}

/// Lossless options: a publisher waits for a full subscriber queue.
iox::popo::PublisherOptions lossless_publisher() {
    iox::popo::PublisherOptions options;
    options.subscriberTooSlowPolicy = iox::popo::ConsumerTooSlowPolicy::WAIT_FOR_CONSUMER;
    return options;
}
iox::popo::SubscriberOptions lossless_subscriber(std::uint64_t queue) {
    iox::popo::SubscriberOptions options;
    options.queueCapacity = queue;
    options.queueFullPolicy = iox::popo::QueueFullPolicy::BLOCK_PRODUCER;
    return options;
}

void wait_connected(iox::popo::UntypedPublisher& publisher, iox::popo::UntypedSubscriber& subscriber) {
    while (subscriber.getSubscriptionState() != iox::SubscribeState::SUBSCRIBED || !publisher.hasSubscribers()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

/// Busy-polls until a sample is there; returns it (release it).
const void* take_spinning(iox::popo::UntypedSubscriber& subscriber) {
    for (;;) {
        auto sample = subscriber.take();
        if (!sample.has_error()) return sample.value();
    }
}

void* loan_or_die(iox::popo::UntypedPublisher& publisher, std::uint64_t bytes) {
    auto chunk = publisher.loan(static_cast<std::uint32_t>(bytes));
    if (chunk.has_error()) std::_Exit(4);
    return chunk.value();
}

/// Sends `samples` to the parent through `pipe`: a count, then the values.
void send_samples(const Pipe& pipe, const std::vector<float>& samples, std::uint64_t extra = 0) {
    const std::uint64_t header[2] = {samples.size(), extra};
    pipe.write_all(header, sizeof header);
    pipe.write_all(samples.data(), samples.size() * sizeof(float));
}
std::vector<double> receive_samples(const Pipe& pipe, std::uint64_t* extra = nullptr) {
    std::uint64_t header[2] = {};
    pipe.read_all(header, sizeof header);
    std::vector<float> samples(header[0]);
    pipe.read_all(samples.data(), samples.size() * sizeof(float));
    if (extra != nullptr) *extra = header[1];
    return {samples.begin(), samples.end()};
}

/// Ping-pong as the DataBlock's: 8 bytes written into a `bytes` sample;
/// one-way = round trip / 2; the first 100 dropped. Both sides are children:
/// a process has one iceoryx runtime, and a forked copy of it is unusable.
std::vector<double> iceoryx_ping_pong(std::uint64_t bytes, int iterations, int run) {
    const std::string ping = "ping" + std::to_string(run), pong = "pong" + std::to_string(run);
    Pipe done;
    const int ponger = fork_iceoryx_child([&] {
        init_runtime("plh-bench-pong-" + std::to_string(run));
        iox::popo::UntypedSubscriber in(topic(ping), lossless_subscriber(1));
        iox::popo::UntypedPublisher out(topic(pong), lossless_publisher());
        wait_connected(out, in);
        for (int i = 0; i < iterations; ++i) {
            const void* received = take_spinning(in);
            std::uint64_t value = 0;
            std::memcpy(&value, received, sizeof value);
            in.release(received);
            void* reply = loan_or_die(out, bytes);
            std::memcpy(reply, &value, sizeof value);
            out.publish(reply);
        }
        std::uint8_t finished = 0;
        done.read_all(&finished, 1);  // keep the ports until the pinger has its last reply
    });
    Pipe results;
    const int pinger = fork_iceoryx_child([&] {
        init_runtime("plh-bench-ping-" + std::to_string(run));
        iox::popo::UntypedPublisher out(topic(ping), lossless_publisher());
        iox::popo::UntypedSubscriber in(topic(pong), lossless_subscriber(1));
        wait_connected(out, in);
        std::vector<float> samples;
        samples.reserve(static_cast<std::size_t>(iterations));
        for (int i = 0; i < iterations; ++i) {
            const std::uint64_t start = monotonic_time_ns();
            void* request = loan_or_die(out, bytes);
            const auto value = static_cast<std::uint64_t>(i);
            std::memcpy(request, &value, sizeof value);
            out.publish(request);
            in.release(take_spinning(in));
            samples.push_back(float(double(monotonic_time_ns() - start) / 2.0));
        }
        send_samples(results, samples);
    });
    std::vector<double> one_way = receive_samples(results);
    const std::uint8_t finished = 1;
    done.write_all(&finished, 1);
    wait_child(pinger);
    wait_child(ponger);
    one_way.erase(one_way.begin(), one_way.begin() + std::min<std::size_t>(one_way.size(), 100));
    return one_way;
}

/// Publisher -> subscriber, lossless, `count` samples of `bytes` (memcpy'd
/// in by the publisher, one byte looked at by the subscriber): samples/s.
double iceoryx_throughput(std::uint64_t bytes, std::uint64_t count, int run) {
    const std::string stream = "stream" + std::to_string(run);
    Pipe ready, results;
    const int subscriber = fork_iceoryx_child([&] {
        init_runtime("plh-bench-sub-" + std::to_string(run));
        iox::popo::UntypedSubscriber in(topic(stream), lossless_subscriber(64));
        while (in.getSubscriptionState() != iox::SubscribeState::SUBSCRIBED) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        const std::uint8_t yes = 1;
        ready.write_all(&yes, 1);
        volatile std::uint64_t sink = 0;
        for (std::uint64_t i = 0; i < count; ++i) {
            const void* sample = take_spinning(in);
            sink = sink + *static_cast<const std::uint8_t*>(sample);
            in.release(sample);
        }
        const std::uint8_t finished = 1;
        results.write_all(&finished, 1);
    });
    std::uint8_t yes = 0;
    ready.read_all(&yes, 1);
    Pipe elapsed;
    const int publisher = fork_iceoryx_child([&] {
        init_runtime("plh-bench-pub-" + std::to_string(run));
        iox::popo::UntypedPublisher out(topic(stream), lossless_publisher());
        while (!out.hasSubscribers()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::vector<std::byte> source(bytes, std::byte{0x5a});
        const std::uint64_t start = monotonic_time_ns();
        for (std::uint64_t i = 0; i < count; ++i) {
            void* chunk = loan_or_die(out, bytes);
            std::memcpy(chunk, source.data(), bytes);
            out.publish(chunk);
        }
        std::uint8_t finished = 0;
        results.read_all(&finished, 1);  // the subscriber has taken the last one
        const std::uint64_t ns = monotonic_time_ns() - start;
        elapsed.write_all(&ns, sizeof ns);
    });
    std::uint64_t ns = 0;
    elapsed.read_all(&ns, sizeof ns);
    wait_child(publisher);
    wait_child(subscriber);
    return double(count) / (double(ns) * 1e-9);
}

/// 1 publisher -> `consumers` subscriber processes at `rate` samples/s,
/// each asleep in a WaitSet; latency = the subscriber's clock minus the
/// publish time carried in the sample; loss = missing sequence numbers.
FanOut iceoryx_fan_out(int consumers, double rate, double seconds, int run) {
    // Subscriptions connect asynchronously (through RouDi): the publisher
    // sends warm-up samples until every subscriber has had one, then the
    // measured stream starts at sequence 0 for all of them.
    constexpr std::uint64_t kWarmUp = UINT64_MAX - 1;
    constexpr std::uint64_t kEnd = UINT64_MAX;
    const std::string stream = "fanout" + std::to_string(run);
    const auto total = static_cast<std::uint64_t>(rate * seconds);
    Pipe connected, go;
    std::vector<std::unique_ptr<Pipe>> pipes;
    std::vector<int> children;
    for (int c = 0; c < consumers; ++c) {
        pipes.push_back(std::make_unique<Pipe>());
        const Pipe& samples_pipe = *pipes.back();
        children.push_back(fork_iceoryx_child([&, c] {
            init_runtime("plh-bench-fan-" + std::to_string(run) + "-" + std::to_string(c));
            iox::popo::UntypedSubscriber in(topic(stream), lossless_subscriber(256));
            iox::popo::WaitSet<> waitset;
            if (waitset.attachState(in, iox::popo::SubscriberState::HAS_DATA).has_error()) std::_Exit(5);
            std::vector<float> latencies;
            latencies.reserve(total);
            std::uint64_t expected = 0;
            std::uint64_t lost = 0;
            bool warm = false;
            bool finished = false;
            // Like the DataBlock's blocking wait (whose sleeps end after at
            // most 10 ms to look again), each wait is at most 10 ms and the
            // queue is drained after it whether or not the WaitSet said so:
            // with 2.0.3 a subscriber now and then slept through its
            // notification for good (3882 of 10000 samples, then nothing).
            std::uint64_t idle_since = monotonic_time_ns();
            while (!finished && monotonic_time_ns() - idle_since < 10'000'000'000ULL) {
                (void)waitset.timedWait(iox::units::Duration::fromMilliseconds(10));
                for (;;) {
                    auto sample = in.take();
                    if (sample.has_error()) break;
                    std::uint64_t message[2] = {};  // sequence, publish time
                    std::memcpy(message, sample.value(), sizeof message);
                    in.release(sample.value());
                    if (message[0] == kWarmUp) {
                        if (!warm) {
                            const std::uint8_t yes = 1;
                            connected.write_all(&yes, 1);
                            warm = true;
                        }
                        continue;
                    }
                    if (message[0] == kEnd) {
                        finished = true;
                        break;
                    }
                    idle_since = monotonic_time_ns();
                    latencies.push_back(float(idle_since - message[1]));
                    if (message[0] != expected) lost += message[0] - expected;
                    expected = message[0] + 1;
                }
            }
            lost += total - expected;
            send_samples(samples_pipe, latencies, lost);
        }));
    }
    const int publisher = fork_iceoryx_child([&] {
        init_runtime("plh-bench-fanpub-" + std::to_string(run));
        iox::popo::UntypedPublisher out(topic(stream), lossless_publisher());
        auto send = [&](std::uint64_t sequence) {
            void* chunk = loan_or_die(out, 64);
            const std::uint64_t message[2] = {sequence, monotonic_time_ns()};
            std::memcpy(chunk, message, sizeof message);
            out.publish(chunk);
        };
        for (;;) {  // warm up until the parent says every subscriber has had one
            send(kWarmUp);
            pollfd start{go.read_fd, POLLIN, 0};
            if (::poll(&start, 1, 1) == 1) break;
        }
        const auto period = static_cast<std::uint64_t>(1e9 / rate);
        const std::uint64_t begin = monotonic_time_ns();
        for (std::uint64_t i = 0; i <= total; ++i) {
            pace_until(begin + i * period, Pacing::sleep);
            send(i == total ? kEnd : i);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let them take the end marker
    });
    for (int c = 0; c < consumers; ++c) {
        std::uint8_t yes = 0;
        connected.read_all(&yes, 1);
    }
    const std::uint8_t start = 1;
    go.write_all(&start, 1);
    FanOut result;
    std::vector<double> all;
    for (auto& pipe : pipes) {
        std::uint64_t lost = 0;
        for (double v : receive_samples(*pipe, &lost)) all.push_back(v);
        result.lost += lost;
    }
    wait_child(publisher);
    for (int child : children) wait_child(child);
    result.latency = percentiles(std::move(all));
    return result;
}

}  // namespace

void run_iceoryx_cases(Results& results) {
    std::unique_ptr<Roudi> roudi;
    try {
        roudi = std::make_unique<Roudi>();
    } catch (const std::exception& e) {
        std::cerr << "  iceoryx: skipped: " << e.what() << "\n";
        return;
    }
    int run = 0;
    for (std::uint64_t bytes : {64ULL, 4096ULL, 1ULL << 20}) {
        std::vector<double> p50s, p99s;
        for (int r = 0; r < kRepetitions; ++r) {
            const auto p = percentiles(iceoryx_ping_pong(bytes, bytes >= (1 << 20) ? 1500 : 20000, run++));
            p50s.push_back(p.p50);
            p99s.push_back(p.p99);
        }
        results.add({"latency", "iceoryx", bytes, "p50", median(p50s), "ns"});
        results.add({"latency", "iceoryx", bytes, "p99", median(p99s), "ns"});
    }
    for (std::uint64_t bytes : {64ULL, 4096ULL, 1ULL << 20}) {
        const std::uint64_t count = std::clamp<std::uint64_t>(2'000'000'000ULL / bytes, 300, 1'000'000);
        std::vector<double> rates;
        for (int r = 0; r < kRepetitions; ++r) rates.push_back(iceoryx_throughput(bytes, count, run++));
        const double rate = median(rates);
        results.add({"throughput", "iceoryx", bytes, "slots/s", rate, "1/s"});
        results.add({"throughput", "iceoryx", bytes, "GB/s", rate * double(bytes) / 1e9, "GB/s"});
    }
    std::vector<FanOut> runs;
    for (int r = 0; r < kRepetitions; ++r) runs.push_back(iceoryx_fan_out(10, 10'000, 1.0, run++));
    add_fan_out_rows(results, "iceoryx 1->10 waitset", runs);
}

}  // namespace pylabhub::bench
