// DataBlock between two (or eleven) real processes.
#include <algorithm>
#include <atomic>
#include <memory>
#include <chrono>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include <unistd.h>

#include "baseline_probes.hpp"
#include "datablock_probes.hpp"
#include "harness.hpp"
#include "pylabhub/datablock.hpp"
#include "pylabhub/datablock/observer.hpp"
#include "pylabhub/platform/clock.hpp"

namespace pylabhub::bench {
namespace {

namespace db = datablock;
using namespace std::chrono_literals;
using platform::monotonic_time_ns;

std::string segment(const std::string& what) { return "/plh.bench." + std::to_string(::getpid()) + "." + what; }

db::Producer make_producer(const std::string& name, std::uint64_t slot_bytes, std::uint32_t slots, db::SyncPolicy sync,
                           db::ChecksumKind checksum, db::WaitStrategy wait) {
    db::DataBlockConfig config;
    config.slot_bytes = slot_bytes;
    config.slot_count = slots;
    config.sync = sync;
    config.checksum = checksum;
    auto producer = db::Producer::create(name, config, {.wait = wait, .replace_existing = true});
    if (!producer) throw std::runtime_error(producer.error().message);
    return std::move(producer).value();
}

db::Consumer attach(const std::string& name, const crypto::SharedSecret& secret, db::WaitStrategy wait) {
    db::ConsumerOptions options;
    options.secret = secret;
    options.wait = wait;
    auto consumer = db::Consumer::attach(name, options);
    if (!consumer) throw std::runtime_error(consumer.error().message);
    return std::move(consumer).value();
}

/// Sums every byte: what "reads all of it" costs.
std::uint64_t touch(std::span<const std::byte> data) {
    std::uint64_t sum = 0;
    const auto* words = reinterpret_cast<const std::uint64_t*>(data.data());
    for (std::size_t i = 0; i < data.size() / 8; ++i) sum += words[i];
    return sum;
}

}  // namespace

/// Ping-pong over two DataBlocks; one-way latency = round trip / 2.
std::vector<double> ping_pong(std::uint64_t bytes, bool full_payload, int iterations) {
    const std::string ping_name = segment("ping");
    const std::string pong_name = segment("pong");
    db::Producer ping =
        make_producer(ping_name, bytes, 8, db::SyncPolicy::single_reader, db::ChecksumKind::none, db::WaitStrategy::busy_poll);
    Pipe secret_pipe;
    const int child = fork_child([&] {
        db::Consumer in = attach(ping_name, ping.secret(), db::WaitStrategy::busy_poll);
        db::Producer out =
            make_producer(pong_name, bytes, 8, db::SyncPolicy::single_reader, db::ChecksumKind::none, db::WaitStrategy::busy_poll);
        secret_pipe.write_all(out.secret().data(), 32);
        volatile std::uint64_t sink = 0;
        for (int i = 0; i < iterations; ++i) {
            auto slot = in.acquire_read(10s);
            if (!slot) ::_exit(2);
            if (full_payload) sink = sink + touch(slot->buffer());
            (void)slot->release();
            auto reply = out.acquire_write(10s);
            if (!reply) ::_exit(3);
            if (full_payload) std::memset(reply->buffer().data(), i & 0xff, bytes);
            (void)reply->commit(full_payload ? bytes : 8);
        }
        // Keep `out` open until the parent read the last reply.
        std::uint8_t done = 0;
        secret_pipe.read_all(&done, 1);
    });
    crypto::SharedSecret pong_secret{};
    secret_pipe.read_all(pong_secret.data(), 32);
    db::Consumer in = attach(pong_name, pong_secret, db::WaitStrategy::busy_poll);
    std::vector<double> one_way;
    one_way.reserve(static_cast<std::size_t>(iterations));
    volatile std::uint64_t sink = 0;
    for (int i = 0; i < iterations; ++i) {
        const std::uint64_t start = monotonic_time_ns();
        auto slot = ping.acquire_write(10s);
        if (full_payload) std::memset(slot->buffer().data(), i & 0xff, bytes);
        (void)slot->commit(full_payload ? bytes : 8);
        auto reply = in.acquire_read(10s);
        if (!reply) break;
        if (full_payload) sink = sink + touch(reply->buffer());
        (void)reply->release();
        one_way.push_back(double(monotonic_time_ns() - start) / 2.0);
    }
    const std::uint8_t done = 1;
    secret_pipe.write_all(&done, 1);  // the child keeps its channel open until now
    wait_child(child);
    one_way.erase(one_way.begin(), one_way.begin() + std::min<std::size_t>(one_way.size(), 100));  // warm-up
    return one_way;
}

/// One producer process streams `count` slots to one consumer process;
/// with `batch` > 1 both hand over runs of up to `batch` slots.
/// Returns slots per second.
double throughput(std::uint64_t bytes, db::ChecksumKind checksum, std::uint64_t count, std::uint32_t slots, std::size_t batch) {
    const std::string name = segment("spsc");
    db::Producer producer = make_producer(name, bytes, slots, db::SyncPolicy::single_reader, checksum, db::WaitStrategy::busy_poll);
    Pipe ready;
    const int child = fork_child([&] {
        db::Consumer consumer = attach(name, producer.secret(), db::WaitStrategy::busy_poll);
        const std::uint8_t yes = 1;
        ready.write_all(&yes, 1);
        volatile std::uint64_t sink = 0;
        for (std::uint64_t read = 0; read < count;) {
            if (batch > 1) {
                auto run = consumer.acquire_read_batch(std::min<std::uint64_t>(batch, count - read), 10s);
                if (!run) ::_exit(2);
                for (std::size_t i = 0; i < run->size(); ++i) sink = sink + static_cast<std::uint64_t>(run->buffer(i)[0]);
                read += run->size();
                (void)run->release();
                continue;
            }
            auto slot = consumer.acquire_read(10s);
            if (!slot) ::_exit(2);
            sink = sink + static_cast<std::uint64_t>(slot->buffer()[0]);  // in place: the application reads what it needs
            (void)slot->release();
            ++read;
        }
    });
    std::uint8_t yes = 0;
    ready.read_all(&yes, 1);
    std::vector<std::byte> source(bytes, std::byte{0x5a});
    const std::uint64_t start = monotonic_time_ns();
    for (std::uint64_t written = 0; written < count;) {
        if (batch > 1) {
            auto run = producer.acquire_write_batch(std::min<std::uint64_t>(batch, count - written), 10s);
            if (!run) break;
            for (std::size_t i = 0; i < run->size(); ++i) std::memcpy(run->buffer(i).data(), source.data(), bytes);
            (void)run->commit_uniform(run->size(), bytes);
            written += run->size();
            continue;
        }
        auto slot = producer.acquire_write(10s);
        if (!slot) break;
        std::memcpy(slot->buffer().data(), source.data(), bytes);  // the one copy on the write side
        (void)slot->commit(bytes);
        ++written;
    }
    wait_child(child);
    return double(count) / (double(monotonic_time_ns() - start) * 1e-9);
}

/// 1 producer -> `consumers` processes at `rate` slots/s, blocking waits.
/// The last `latest_readers` of them read as `read: latest` does (an
/// Observer: no place in the consumer table, the newest slot, copied);
/// latency and loss are the lossless readers'.
FanOut fan_out(int consumers, double rate, double seconds, int latest_readers, Pacing pacing) {
    const std::string name = segment("fanout");
    db::DataBlockConfig config;
    config.slot_bytes = 64;
    config.slot_count = 256;
    config.sync = db::SyncPolicy::sync_reader;
    config.max_consumers = static_cast<std::uint32_t>(consumers - latest_readers);
    auto created = db::Producer::create(name, config, {.wait = db::WaitStrategy::blocking, .replace_existing = true});
    if (!created) throw std::runtime_error(created.error().message);
    db::Producer& producer = *created;  // closed below, after the last write
    const auto total = static_cast<std::uint64_t>(rate * seconds);
    Pipe ready;
    // One pipe per child: writes larger than PIPE_BUF from several writers interleave.
    std::vector<std::unique_ptr<Pipe>> sample_pipes;
    std::vector<int> children;
    for (int c = 0; c < consumers; ++c) {
        sample_pipes.push_back(std::make_unique<Pipe>());
        const Pipe& samples = *sample_pipes.back();
        const bool latest = c >= consumers - latest_readers;
        children.push_back(fork_child([&, latest] {
            if (latest) {
                auto observer = db::Observer::attach(name, producer.secret());
                if (!observer) std::_Exit(3);
                const std::uint8_t yes = 1;
                ready.write_all(&yes, 1);
                std::uint64_t after = UINT64_MAX;
                for (;;) {
                    auto slot = observer->next(after, 5s);
                    if (!slot) break;
                    after = slot->sequence;
                }
                const std::uint64_t header[2] = {0, 0};  // not counted: they may skip by design
                samples.write_all(header, sizeof header);
                return;
            }
            db::Consumer consumer = attach(name, producer.secret(), db::WaitStrategy::blocking);
            const std::uint8_t yes = 1;
            ready.write_all(&yes, 1);
            std::vector<float> latencies;
            latencies.reserve(total);
            std::uint64_t expected = 0;
            std::uint64_t lost = 0;
            for (;;) {
                auto slot = consumer.acquire_read(5s);
                if (!slot) break;  // closed when the producer is done
                latencies.push_back(float(monotonic_time_ns() - slot->commit_ns()));
                if (slot->sequence() != expected) lost += slot->sequence() - expected;
                expected = slot->sequence() + 1;
                (void)slot->release();
            }
            lost += total - expected;
            const std::uint64_t header[2] = {latencies.size(), lost};
            samples.write_all(header, sizeof header);
            samples.write_all(latencies.data(), latencies.size() * sizeof(float));
        }));
    }
    for (int c = 0; c < consumers; ++c) {
        std::uint8_t yes = 0;
        ready.read_all(&yes, 1);
    }
    FanOut result;
    const std::uint64_t period = static_cast<std::uint64_t>(1e9 / rate);
    const std::uint64_t start = monotonic_time_ns();
    for (std::uint64_t i = 0; i < total; ++i) {
        pace_until(start + i * period, pacing);
        if (!producer.write(std::as_bytes(std::span(&i, 1)), 5s)) break;
        ++result.written;
    }
    // Closing the producer ends the consumers' streams once they have drained.
    { db::Producer finished = std::move(created).value(); }
    std::vector<double> all;
    for (int c = 0; c < consumers; ++c) {
        const Pipe& samples = *sample_pipes[static_cast<std::size_t>(c)];
        std::uint64_t header[2] = {};
        samples.read_all(header, sizeof header);
        std::vector<float> latencies(header[0]);
        samples.read_all(latencies.data(), latencies.size() * sizeof(float));
        for (float v : latencies) all.push_back(v);
        result.lost += header[1];
    }
    for (int child : children) wait_child(child);
    result.latency = percentiles(std::move(all));
    return result;
}

void add_fan_out_rows(Results& results, const std::string& system, const std::vector<FanOut>& runs) {
    std::vector<double> p50s, p95s, p99s, lost;
    for (const FanOut& f : runs) {
        p50s.push_back(f.latency.p50);
        p95s.push_back(f.latency.p95);
        p99s.push_back(f.latency.p99);
        lost.push_back(double(f.lost));
    }
    results.add({"fanout", system, 64, "p50", median(p50s), "ns"});
    results.add({"fanout", system, 64, "p95", median(p95s), "ns"});
    results.add({"fanout", system, 64, "p99", median(p99s), "ns"});
    results.add({"fanout", system, 64, "lost", *std::max_element(lost.begin(), lost.end()), "slots"});
}

void run_datablock_cases(Results& results) {
    for (std::uint64_t bytes : {64ULL, 4096ULL, 1ULL << 20}) {
        for (bool full : {false, true}) {
            std::vector<double> p50s, p99s;
            for (int r = 0; r < kRepetitions; ++r) {
                const auto p = percentiles(ping_pong(bytes, full, bytes >= (1 << 20) ? 1500 : 20000));
                p50s.push_back(p.p50);
                p99s.push_back(p.p99);
            }
            const std::string system = full ? "datablock (write+read all)" : "datablock";
            results.add({"latency", system, bytes, "p50", median(p50s), "ns"});
            results.add({"latency", system, bytes, "p99", median(p99s), "ns"});
        }
    }
    // The latency target's ratio, from pairs measured back to back: this
    // machine switches between a fast and a slow mode for minutes at a
    // time (docs/performance.md), and figures taken minutes apart can mix
    // the two. Five pairs: the median and the worst.
    {
        std::vector<double> ratios;
        for (int r = 0; r < 5; ++r) {
            const double raw = percentiles(shm_ping_pong(20'000)).p50;
            ratios.push_back(percentiles(ping_pong(64, false, 20'000)).p50 / raw);
        }
        results.add({"latency", "datablock / raw ping-pong, paired", 64, "p50 ratio", median(ratios), "x"});
        results.add(
            {"latency", "datablock / raw ping-pong, paired", 64, "worst ratio", *std::max_element(ratios.begin(), ratios.end()), "x"});
    }
    for (std::uint64_t bytes : {64ULL, 4096ULL, 1ULL << 20}) {
        for (auto checksum : {db::ChecksumKind::none, db::ChecksumKind::xxh3, db::ChecksumKind::blake2b}) {
            const std::uint64_t count = std::clamp<std::uint64_t>(
                (checksum == db::ChecksumKind::blake2b ? 300'000'000ULL : 2'000'000'000ULL) / bytes, 300, 1'000'000);
            std::vector<double> rates;
            for (int r = 0; r < kRepetitions; ++r) rates.push_back(throughput(bytes, checksum, count));
            const std::string system = "datablock " + std::string(db::to_string(checksum));
            const double rate = median(rates);
            results.add({"throughput", system, bytes, "slots/s", rate, "1/s"});
            results.add({"throughput", system, bytes, "GB/s", rate * double(bytes) / 1e9, "GB/s"});
        }
    }
    // Runs of slots: one commit-index store and one position store per run.
    // At 64 B each repetition is paired with a ZeroMQ PUSH/PULL run right
    // before it, for the target's ratio (see the latency pairs above).
    for (std::uint64_t bytes : {64ULL, 4096ULL}) {
        std::vector<double> rates, ratios;
        for (int r = 0; r < kRepetitions; ++r) {
            const double zeromq = bytes == 64 ? zmq_push_pull(ipc_endpoint(), bytes, 1'000'000) : 0;
            rates.push_back(throughput(bytes, db::ChecksumKind::none, 2'000'000, 64, kBenchBatch));
            if (zeromq > 0) ratios.push_back(rates.back() / zeromq);
        }
        if (!ratios.empty()) {
            results.add({"throughput", "runs of 32 / zeromq push-pull, paired", bytes, "median ratio", median(ratios), "x"});
            results.add({"throughput", "runs of 32 / zeromq push-pull, paired", bytes, "worst ratio",
                         *std::min_element(ratios.begin(), ratios.end()), "x"});
        }
        const double rate = median(rates);
        const std::string system = "datablock none, runs of " + std::to_string(kBenchBatch);
        results.add({"throughput", system, bytes, "slots/s", rate, "1/s"});
        results.add({"throughput", system, bytes, "GB/s", rate * double(bytes) / 1e9, "GB/s"});
    }
    std::vector<FanOut> runs;
    for (int r = 0; r < kRepetitions; ++r) runs.push_back(fan_out(10, 10'000, 1.0));
    add_fan_out_rows(results, "datablock 1->10 blocking", runs);
    // The same with the producer pacing itself by spinning on the clock, as
    // this bench did before: it holds one of two cores, and the readers'
    // wake-ups queue for the other.
    runs.clear();
    for (int r = 0; r < kRepetitions; ++r) runs.push_back(fan_out(10, 10'000, 1.0, 0, Pacing::spin));
    add_fan_out_rows(results, "datablock 1->10 blocking, producer spinning", runs);
    // One lossless recorder and nine `read: latest` viewers: what the
    // viewers cost the one reader that must get everything.
    runs.clear();
    for (int r = 0; r < kRepetitions; ++r) runs.push_back(fan_out(10, 10'000, 1.0, 9));
    add_fan_out_rows(results, "datablock 1 lossless + 9 latest", runs);
}

}  // namespace pylabhub::bench
