#include "cli/observe_commands.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <span>
#include <ostream>
#include <vector>

#include "pylabhub/datablock/observer.hpp"
#include "pylabhub/messagehub/client.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/signals.hpp"
#include "pylabhub/schema/blds.hpp"

namespace pylabhub::host {
namespace {

using namespace std::chrono_literals;

struct Watched {
    messagehub::ChannelRecord record;
    datablock::Observer observer;
};

std::optional<Watched> watch(const std::string& channel, const std::string& broker, const CurveFiles& curve, std::ostream& err) {
    auto keys = client_keys(curve);
    if (!keys) {
        err << "error: " << keys.error().message << "\n";
        return std::nullopt;
    }
    messagehub::Client client(broker, 2000ms, *keys);
    auto record = client.discover(channel);
    if (!record) {
        err << "error: " << record.error().message << "\n";
        return std::nullopt;
    }
    auto secret = crypto::from_hex_fixed<32>(record->secret_hex);
    if (!secret) {
        err << "error: the broker gave a malformed secret for '" << channel << "'\n";
        return std::nullopt;
    }
    auto observer = datablock::Observer::attach(record->shm_name, *secret);
    if (!observer) {
        err << "error: " << observer.error().message << "\n";
        return std::nullopt;
    }
    return Watched{std::move(record).value(), std::move(observer).value()};
}

bool interrupted() { return platform::wait_for_shutdown_signal(0ms).has_value(); }

void print_bytes(std::ostream& out, std::span<const std::byte> bytes) {
    out << bytes.size() << " bytes:";
    for (std::size_t i = 0; i < std::min<std::size_t>(bytes.size(), 32); ++i) {
        char hex[4];
        std::snprintf(hex, sizeof hex, " %02x", static_cast<unsigned>(bytes[i]));
        out << hex;
    }
    if (bytes.size() > 32) out << " …";
}

/// Each zone version once, as it is written: the zones change rarely
/// (calibration, state), so polling a few times a second is enough.
int echo_zones(Watched& watched, const std::string& channel, std::uint64_t count, std::ostream& out, std::ostream& err) {
    const auto zones = watched.observer.zones();
    if (zones.empty()) {
        err << "error: channel '" << channel << "' has no flexible zones (a channel declares them with zones: {NAME: SIZE})\n";
        return 1;
    }
    std::vector<std::uint64_t> shown(zones.size(), UINT64_MAX);
    std::vector<std::byte> copy;
    for (std::uint64_t printed = 0; count == 0 || printed < count;) {
        if (interrupted()) break;
        bool any = false;
        for (std::size_t z = 0; z < zones.size() && (count == 0 || printed < count); ++z) {
            copy.resize(zones[z].bytes);
            auto version = watched.observer.read_zone(zones[z].name, copy);
            if (!version) {
                err << "error: " << version.error().message << "\n";
                if (version.error().code != ErrorCode::timeout && version.error().code != ErrorCode::corrupt) return 1;
                continue;
            }
            if (*version == shown[z]) continue;
            shown[z] = *version;
            out << "zone " << zones[z].name << " v" << *version << ": ";
            print_bytes(out, copy);
            out << "\n" << std::flush;
            ++printed;
            any = true;
        }
        if (!any && platform::wait_for_shutdown_signal(100ms)) break;
    }
    return 0;
}

}  // namespace

int echo_command(const std::string& channel, std::uint64_t count, bool zones, const std::string& broker, const CurveFiles& curve,
                 std::ostream& out, std::ostream& err) {
    auto watched = watch(channel, broker, curve, err);
    if (!watched) return 1;
    if (zones) return echo_zones(*watched, channel, count, out, err);
    const auto& record = watched->record;
    out << "# " << channel << ": " << (record.schema_name.empty() ? "no schema" : record.schema_name + " " + record.schema_version)
        << (record.schema_blds.empty() ? "" : " " + record.schema_blds) << "\n";
    std::uint64_t after = UINT64_MAX;
    for (std::uint64_t printed = 0; count == 0 || printed < count;) {
        if (interrupted()) break;
        auto slot = watched->observer.next(after, 200ms);
        if (!slot) {
            if (slot.error().code == ErrorCode::timeout) continue;
            if (slot.error().code == ErrorCode::closed) break;
            err << "error: " << slot.error().message << "\n";
            return 1;
        }
        after = slot->sequence;
        out << "seq " << slot->sequence << ": ";
        if (!record.schema_blds.empty()) {
            auto text = schema::format_payload(record.schema_blds, slot->payload);
            out << (text ? *text : "(" + text.error().message + ")");
        } else {
            print_bytes(out, slot->payload);
        }
        out << "\n" << std::flush;
        ++printed;
    }
    return 0;
}

int hz_command(const std::string& channel, double duration_s, const std::string& broker, const CurveFiles& curve, std::ostream& out,
               std::ostream& err) {
    auto watched = watch(channel, broker, curve, err);
    if (!watched) return 1;
    const std::uint64_t start = platform::monotonic_time_ns();
    std::uint64_t window_end = start + 1'000'000'000ULL;  // windows of one second from the start
    std::uint64_t after = UINT64_MAX;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;  // (sequence, commit_ns) this window
    bool reported = false;
    auto report = [&] {
        if (seen.size() < 2) {
            out << "no new slots\n" << std::flush;
            return;
        }
        // Periods from commit timestamps, per slot (an observer may skip some).
        std::vector<double> periods;
        for (std::size_t i = 1; i < seen.size(); ++i) {
            const double dt = double(seen[i].second - seen[i - 1].second);
            periods.push_back(dt / double(seen[i].first - seen[i - 1].first));
        }
        const double span_s = double(seen.back().second - seen.front().second) * 1e-9;
        const double rate = double(seen.back().first - seen.front().first) / span_s;
        double mean = 0;
        for (double p : periods) mean += p;
        mean /= double(periods.size());
        double variance = 0;
        for (double p : periods) variance += (p - mean) * (p - mean);
        const auto [lo, hi] = std::minmax_element(periods.begin(), periods.end());
        char line[200];
        std::snprintf(line, sizeof line, "average rate: %.3f/s\n\tmin: %.6fs max: %.6fs std dev: %.6fs window: %zu\n", rate, *lo * 1e-9,
                      *hi * 1e-9, std::sqrt(variance / double(periods.size())) * 1e-9, seen.size());
        out << line << std::flush;
        reported = true;
        seen.erase(seen.begin(), seen.end() - 1);
    };
    for (;;) {
        if (interrupted()) break;
        const std::uint64_t now = platform::monotonic_time_ns();
        // --duration S ends after the S-th window, which is reported.
        const bool over = duration_s > 0 && double(now - start) * 1e-9 >= duration_s;
        if (!over) {
            auto slot = watched->observer.next(after, 100ms);
            if (slot) {
                after = slot->sequence;
                seen.emplace_back(slot->sequence, slot->commit_ns);
            } else if (slot.error().code == ErrorCode::closed) {
                break;
            }
        }
        if (now >= window_end) {
            report();
            window_end += 1'000'000'000ULL;
        }
        if (over) break;
    }
    if (!reported) out << "no rate measured (fewer than 2 slots seen)\n";
    return 0;
}

}  // namespace pylabhub::host
