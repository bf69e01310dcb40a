// Reads Sample slots from a DataBlock in place and prints a few of them.
//
//   plh_example_consumer /plh.example SECRET_HEX [--count N] [--wait blocking]
#include <cstdio>

#include <CLI/CLI.hpp>

#include <pylabhub/datablock.hpp>
#include <pylabhub/platform/clock.hpp>

#include "sample.hpp"

int main(int argc, char** argv) {
    namespace db = pylabhub::datablock;
    CLI::App app{"Read Sample slots from a DataBlock"};
    std::string name;
    std::string secret_hex;
    std::uint64_t count = 0;
    std::uint64_t print_every = 100;
    std::string wait = "blocking";
    app.add_option("name", name, "shared memory name printed by the producer")->required();
    app.add_option("secret", secret_hex, "shared secret printed by the producer")->required();
    app.add_option("--count", count, "slots to read (0: until the producer closes)")->capture_default_str();
    app.add_option("--print-every", print_every, "print one slot in N")->capture_default_str();
    app.add_option("--wait", wait, "busy_poll | spin_yield | blocking")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    auto secret = pylabhub::crypto::from_hex_fixed<32>(secret_hex);
    auto strategy = db::parse_wait_strategy(wait);
    if (!secret || !strategy) {
        std::fprintf(stderr, "error: %s\n", (!secret ? secret.error() : strategy.error()).message.c_str());
        return 2;
    }
    db::ConsumerOptions options;
    options.secret = *secret;
    options.wait = *strategy;
    auto consumer = db::Consumer::attach_for<Sample>(name, options);
    if (!consumer) {
        std::fprintf(stderr, "error: %s\n", consumer.error().message.c_str());
        return 1;
    }
    std::printf("attached to %s (%s, schema %s)\n", name.c_str(), std::string(db::to_string(consumer->info().config.sync)).c_str(),
                consumer->info().schema->name.c_str());
    std::fflush(stdout);

    std::uint64_t read = 0;
    while (count == 0 || read < count) {
        auto slot = consumer->acquire_read(std::chrono::seconds(10));
        if (!slot) {
            if (slot.error().code == pylabhub::ErrorCode::closed) break;
            std::fprintf(stderr, "error: %s\n", slot.error().message.c_str());
            return 1;
        }
        const auto& s = *reinterpret_cast<const Sample*>(slot->buffer().data());  // in place, no copy
        if (read % print_every == 0) {
            const double latency_us = double(pylabhub::platform::monotonic_time_ns() - slot->commit_ns()) / 1000.0;
            std::printf("seq %llu  t %.3f s  ch0 %+.3f  latency %.1f us\n", static_cast<unsigned long long>(s.seq), s.t_seconds,
                        s.channels[0], latency_us);
        }
        if (auto released = slot->release(); !released) {
            std::fprintf(stderr, "error: %s\n", released.error().message.c_str());
            return 1;
        }
        ++read;
    }
    std::printf("read %llu slots\n", static_cast<unsigned long long>(read));
    return 0;
}
