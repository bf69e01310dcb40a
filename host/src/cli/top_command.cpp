#include "cli/top_command.hpp"

#include <chrono>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

#include "pylabhub/datablock/observer.hpp"
#include "pylabhub/messagehub/client.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/signals.hpp"
#include "pylabhub/platform/terminal.hpp"
#include "text/terminal.hpp"
#include "text/text_table.hpp"

namespace pylabhub::host {
namespace {

using namespace std::chrono_literals;

struct Watched {
    datablock::Observer observer;
    std::uint64_t last_sequence = 0;
    std::uint64_t last_ns = 0;
    bool seen = false;
    double rate = 0;
};

std::string fixed(double value, int precision) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(precision) << value;
    return text.str();
}

std::string age(std::uint64_t ns) {
    if (ns < 1'000'000) return fixed(double(ns) / 1e3, 0) + " us";
    if (ns < 1'000'000'000) return fixed(double(ns) / 1e6, 0) + " ms";
    return fixed(double(ns) / 1e9, 1) + " s";
}

}  // namespace

int top_command(const std::string& broker, const CurveFiles& curve, std::uint64_t frames, std::ostream& out, std::ostream& err) {
    auto keys = client_keys(curve);
    if (!keys) {
        err << "error: " << keys.error().message << "\n";
        return 1;
    }
    messagehub::Client client(broker, 2000ms, *keys);
    std::map<std::string, Watched> watched;
    platform::KeyReader keyboard;
    const bool clear = platform::KeyReader::output_is_terminal();
    for (std::uint64_t frame = 0; frames == 0 || frame < frames; ++frame) {
        auto channels = client.list();
        if (!channels) {
            err << "error: " << channels.error().message << "\n";
            return 1;
        }
        TextTable table({{"CHANNEL"},
                         {"RATE/s", TextTable::Align::right},
                         {"SEQ", TextTable::Align::right},
                         {"LAST", TextTable::Align::right},
                         {"CONSUMERS", TextTable::Align::right},
                         {"SCHEMA"},
                         {"PID", TextTable::Align::right},
                         {"HOST"}});
        const std::uint64_t now = platform::monotonic_time_ns();
        std::map<std::string, Watched> still;
        for (const auto& c : *channels) {
            auto found = watched.find(c.channel);
            if (found == watched.end()) {
                // The list leaves the attach secret out; a lookup by name gives it.
                auto record = client.discover(c.channel);
                std::optional<crypto::SharedSecret> secret;
                if (record) {
                    if (auto parsed = crypto::from_hex_fixed<32>(record->secret_hex)) secret = *parsed;
                }
                auto observer = secret ? datablock::Observer::attach(record->shm_name, *secret)
                                       : Result<datablock::Observer>(make_error(ErrorCode::not_found, "cannot attach"));
                if (!observer) {
                    table.add({terminal_safe(c.channel), "-", "-", "-", std::to_string(c.consumers.size()),
                               "(" + observer.error().message + ")", std::to_string(c.producer_pid), terminal_safe(c.producer_host)});
                    continue;
                }
                found = watched.emplace(c.channel, Watched{std::move(observer).value()}).first;
            }
            Watched& w = found->second;
            auto newest = w.observer.newest();
            if (newest && w.seen && now > w.last_ns) w.rate = double(newest->sequence - w.last_sequence) / (double(now - w.last_ns) * 1e-9);
            if (newest) w.last_sequence = newest->sequence, w.last_ns = now, w.seen = true;
            table.add({terminal_safe(c.channel), w.seen && frame > 0 ? fixed(w.rate, 1) : "-",
                       newest ? std::to_string(newest->sequence) : "-",
                       newest && now > newest->commit_ns ? age(now - newest->commit_ns) : "-", std::to_string(c.consumers.size()),
                       c.schema_name.empty() ? "-" : terminal_safe(c.schema_name + " " + c.schema_version), std::to_string(c.producer_pid),
                       terminal_safe(c.producer_host)});
            still.emplace(c.channel, std::move(w));
        }
        watched = std::move(still);  // channels gone from the broker are let go
        if (clear) out << "\x1b[H\x1b[2J";
        out << "pylabhub top — " << channels->size() << " channel" << (channels->size() == 1 ? "" : "s") << " at " << broker
            << "   (q quits)\n\n";
        table.print(out);
        out << std::flush;
        // A second between frames, broken off by 'q' or Ctrl-C.
        for (int slice = 0; slice < 10 && (frames == 0 || frame + 1 < frames); ++slice) {
            if (auto key = keyboard.key(100ms); key && (*key == 'q' || *key == 'Q')) return 0;
            if (platform::wait_for_shutdown_signal(0ms)) return 0;
        }
    }
    return 0;
}

}  // namespace pylabhub::host
