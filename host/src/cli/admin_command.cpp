#include "cli/admin_command.hpp"

#include <filesystem>
#include <iomanip>
#include <ostream>

#include <nlohmann/json.hpp>

#include "plugins/plugin_registry.hpp"
#include "pylabhub/datablock/diagnostics.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/shared_memory.hpp"

namespace pylabhub::host {
namespace {

using datablock::Inspector;
using nlohmann::json;

const std::string kSegmentPrefix = "/plh.";

std::string segment_name(const std::string& name) {
    if (name.rfind('/', 0) == 0 || name.rfind("plh.", 0) == 0) return name;
    return kSegmentPrefix + name;  // a channel name
}

std::string age(std::uint64_t ns) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(1);
    if (ns >= 1'000'000'000ULL) text << double(ns) / 1e9 << " s";
    else text << double(ns) / 1e6 << " ms";
    return text.str();
}

json to_json(const datablock::SegmentDiagnostic& d) {
    json slots = json::array();
    for (const auto& s : d.slots) {
        slots.push_back({{"index", s.index},
                         {"state", s.state},
                         {"sequence", s.sequence},
                         {"generation", s.generation},
                         {"readers", s.readers},
                         {"writer_pid", s.writer_pid},
                         {"writer_alive", s.writer_alive},
                         {"age_ns", s.age_ns},
                         {"stuck", s.stuck}});
    }
    json consumers = json::array();
    for (const auto& c : d.consumers) {
        consumers.push_back({{"row", c.row},
                             {"pid", c.pid},
                             {"alive", c.alive},
                             {"position", c.position},
                             {"reading", c.reading ? json(*c.reading) : json(nullptr)},
                             {"heartbeat_age_ns", c.heartbeat_age_ns},
                             {"slots_read", c.slots_read}});
    }
    const auto& m = d.metrics;
    return {{"segment", d.shm_name},
            {"bytes", d.bytes},
            {"slots", d.config.slot_count},
            {"slot_bytes", d.config.slot_bytes},
            {"sync", std::string(datablock::to_string(d.config.sync))},
            {"checksum_id", d.checksum_id},
            {"schema", {{"name", d.schema_name}, {"version", d.schema_version}, {"hash", d.schema_hash_hex}}},
            {"producer_pid", d.producer_pid},
            {"producer_alive", d.producer_alive},
            {"closed", d.closed},
            {"metrics",
             {{"slots_written", m.slots_written},
              {"slots_read", m.slots_read},
              {"commit_count", m.commit_count},
              {"checksum_failures", m.checksum_failures},
              {"torn_reads", m.torn_reads},
              {"recovery_actions", m.recovery_actions},
              {"writer_backpressure_timeouts", m.writer_backpressure_timeouts}}},
            {"slot_states", slots},
            {"consumers", consumers}};
}

int list(const AdminRequest& request, std::ostream& out, std::ostream& err) {
    auto names = platform::SharedMemory::list(kSegmentPrefix + request.segment);
    if (!names) {
        err << "error: " << names.error().message << "\n";
        return 1;
    }
    json all = json::array();
    if (!request.json) {
        out << std::left << std::setw(28) << "SEGMENT" << std::right << std::setw(12) << "BYTES" << std::setw(10) << "PRODUCER"
            << std::setw(8) << "" << std::setw(11) << "CONSUMERS"
            << "  STATE\n";
    }
    for (const auto& name : *names) {
        auto inspector = Inspector::open(name);
        if (!inspector) {
            if (request.json) all.push_back({{"segment", name}, {"valid", false}, {"problem", inspector.error().message}});
            else out << std::left << std::setw(28) << name << "  invalid: " << inspector.error().message << "\n";
            continue;
        }
        const auto d = inspector->diagnose();
        std::size_t live = 0;
        for (const auto& c : d.consumers) live += c.alive ? 1 : 0;
        const std::string state = inspector->orphaned() ? "orphaned (no live producer or consumer)"
            : d.closed                                  ? "closed"
            : d.producer_alive                          ? "live"
                                                        : "producer dead";
        if (request.json) {
            all.push_back({{"segment", name},
                           {"valid", true},
                           {"channel", name.substr(std::string(kSegmentPrefix).size())},
                           {"bytes", d.bytes},
                           {"producer_pid", d.producer_pid},
                           {"producer_alive", d.producer_alive},
                           {"consumers_alive", live},
                           {"consumers", d.consumers.size()},
                           {"state", state}});
        } else {
            out << std::left << std::setw(28) << name << std::right << std::setw(12) << d.bytes << std::setw(10) << d.producer_pid
                << std::setw(8) << (d.producer_alive ? "alive" : "dead") << std::setw(11)
                << (std::to_string(live) + "/" + std::to_string(d.consumers.size())) << "  " << state << "\n";
        }
    }
    if (request.json) out << all.dump(2) << "\n";
    else if (names->empty()) out << "(no pyLabHub segments in /dev/shm)\n";
    return 0;
}

/// The consumer a lossless writer waits for when the ring is full.
std::optional<datablock::ConsumerDiagnostic> blocking_consumer(const datablock::SegmentDiagnostic& d) {
    if (d.config.sync == datablock::SyncPolicy::latest_only || d.closed || d.consumers.empty()) return std::nullopt;
    const auto slowest =
        std::min_element(d.consumers.begin(), d.consumers.end(), [](const auto& a, const auto& b) { return a.position < b.position; });
    if (d.metrics.commit_count < slowest->position + d.config.slot_count) return std::nullopt;
    return *slowest;
}

/// A consumer that has not read for this long while the writer waits for it is stalled.
constexpr std::uint64_t kStalledNs = 1'000'000'000ULL;

int diagnose(Inspector& inspector, const AdminRequest& request, std::ostream& out) {
    const auto d = inspector.diagnose();
    const auto blocking = blocking_consumer(d);
    const bool stalled = blocking && blocking->heartbeat_age_ns >= kStalledNs;
    if (request.json) {
        json report = to_json(d);
        if (blocking) {
            report["writer_waits_for"] = {{"row", blocking->row},
                                          {"pid", blocking->pid},
                                          {"alive", blocking->alive},
                                          {"position", blocking->position},
                                          {"heartbeat_age_ns", blocking->heartbeat_age_ns},
                                          {"stalled", stalled}};
        }
        out << report.dump(2) << "\n";
    } else {
        out << d.shm_name << ": " << d.config.slot_count << " slots x " << d.config.slot_bytes << " bytes, "
            << datablock::to_string(d.config.sync) << ", checksum id " << d.checksum_id << "\n";
        if (!d.schema_name.empty()) out << "  schema    " << d.schema_name << " " << d.schema_version << " " << d.schema_hash_hex << "\n";
        out << "  producer  pid " << d.producer_pid << (d.producer_alive ? " (alive)" : " (dead)") << (d.closed ? ", closed" : "") << "\n";
        out << "  committed " << d.metrics.commit_count << ", read " << d.metrics.slots_read << ", checksum failures "
            << d.metrics.checksum_failures << ", torn reads " << d.metrics.torn_reads << ", recovery actions " << d.metrics.recovery_actions
            << "\n";
        out << "  consumers\n";
        for (const auto& c : d.consumers) {
            out << "    row " << c.row << ": pid " << c.pid << (c.alive ? " alive" : " DEAD") << ", at " << c.position
                << (c.reading ? ", reading " + std::to_string(*c.reading) : std::string()) << ", last beat " << age(c.heartbeat_age_ns)
                << " ago, read " << c.slots_read << "\n";
        }
        out << "  slots (free ones not shown)\n";
        for (const auto& s : d.slots) {
            if (s.state == "free" && s.readers == 0) continue;
            if (s.state == "committed" && s.readers == 0 && !s.stuck && d.slots.size() > 16) continue;
            out << "    " << std::setw(4) << s.index << "  " << std::left << std::setw(10) << s.state << std::right << " seq " << s.sequence
                << ", readers " << s.readers;
            if (s.writer_pid != 0) out << ", writer pid " << s.writer_pid << (s.writer_alive ? " (alive)" : " (DEAD)");
            out << ", for " << age(s.age_ns) << (s.stuck ? "  STUCK" : "") << "\n";
        }
    }
    bool stuck = false;
    for (const auto& s : d.slots) stuck = stuck || s.stuck;
    for (const auto& c : d.consumers) stuck = stuck || !c.alive;
    if (stuck && !request.json)
        out << "stuck slots or dead consumers: 'pylabhub admin cleanup-zombies " << d.shm_name << "' releases them\n";
    if (blocking && !request.json) {
        out << "the ring is full: the writer waits for row " << blocking->row << " (pid " << blocking->pid << ", at " << blocking->position
            << ", last read " << age(blocking->heartbeat_age_ns) << " ago)"
            << (stalled ? ": STALLED (a stopped or hung process? 'kill -CONT', or stop it)" : "") << "\n";
    }
    return stuck || stalled ? 1 : 0;
}

int validate(Inspector& inspector, const AdminRequest& request, std::ostream& out, std::ostream& err) {
    // A segment may use a checksum plugin: load them all, it is found by id.
    PluginRegistry plugins;
    plugins.load_directories(plugin_search_path(request.plugin_paths, {}));
    std::vector<const datablock::ChecksumPolicy*> checksum_plugins;
    for (const auto& plugin : plugins.plugins()) {
        if (plugin.checksum) checksum_plugins.push_back(&*plugin.checksum);
    }
    const auto report = inspector.validate(request.repair, checksum_plugins);
    if (request.json) {
        out << json{{"problems", report.problems},
                    {"repairs", report.repairs},
                    {"notes", report.notes},
                    {"slots_checked", report.slots_checked}}
                   .dump(2)
            << "\n";
    } else {
        for (const auto& n : report.notes) out << "note: " << n << "\n";
        for (const auto& p : report.problems) err << "problem: " << p << "\n";
        for (const auto& r : report.repairs) out << "repaired: " << r << "\n";
        out << request.segment << ": " << report.slots_checked << " committed slots checked, " << report.problems.size() << " problem"
            << (report.problems.size() == 1 ? "" : "s")
            << (request.repair ? ", " + std::to_string(report.repairs.size()) + " repaired" : "") << "\n";
        if (!report.problems.empty() && !request.repair) out << "'--repair' rewrites mismatching checksums (never payload)\n";
    }
    return report.problems.size() > report.repairs.size() || (!request.repair && !report.problems.empty()) ? 1 : 0;
}

int cleanup(const AdminRequest& request, std::ostream& out, std::ostream& err) {
    auto names = platform::SharedMemory::list(kSegmentPrefix + request.segment);
    if (!names) {
        err << "error: " << names.error().message << "\n";
        return 1;
    }
    std::size_t removed = 0;
    for (const auto& name : *names) {
        auto inspector = Inspector::open(name);
        if (!inspector && request.unreadable) {
            // No pyLabHub process can use a segment whose header is unreadable.
            if (!request.dry_run) (void)platform::SharedMemory::unlink(name);
            out << (request.dry_run ? "would remove " : "removed  ") << name << " (not a readable DataBlock: " << inspector.error().message
                << ")\n";
            ++removed;
            continue;
        }
        if (!inspector) {
            out << "kept     " << name << ": not a readable DataBlock (" << inspector.error().message << "); '--unreadable' removes it\n";
            continue;
        }
        if (!inspector->orphaned()) {
            out << "kept     " << name << ": in use\n";
            continue;
        }
        if (!request.dry_run) (void)platform::SharedMemory::unlink(name);
        out << (request.dry_run ? "would remove " : "removed  ") << name << " (no live producer or consumer)\n";
        ++removed;
    }
    out << removed << " segment" << (removed == 1 ? "" : "s") << (request.dry_run ? " would be" : "") << " removed\n";
    return 0;
}

}  // namespace

int admin_command(const AdminRequest& request, std::ostream& out, std::ostream& err) {
    if (request.action == "list") return list(request, out, err);
    if (request.action == "cleanup") return cleanup(request, out, err);
    auto inspector = Inspector::open(segment_name(request.segment));
    if (!inspector) {
        err << "error: " << inspector.error().message << "\n";
        return 1;
    }
    if (request.action == "diagnose") return diagnose(*inspector, request, out);
    if (request.action == "validate") return validate(*inspector, request, out, err);
    if (request.action == "cleanup-zombies") {
        const auto actions = inspector->cleanup_zombies();
        for (const auto& a : actions) out << a << "\n";
        out << actions.size() << " zombie" << (actions.size() == 1 ? "" : "s") << " cleaned up\n";
        return 0;
    }
    if (request.action == "force-reset") {
        if (request.slot < 0) {
            err << "error: force-reset needs --slot N\n";
            return 2;
        }
        if (auto reset = inspector->force_reset_slot(static_cast<std::uint32_t>(request.slot), request.force); !reset) {
            err << "error: " << reset.error().message << "\n";
            return 1;
        }
        out << "slot " << request.slot << " reset to free\n";
        return 0;
    }
    err << "error: unknown admin action '" << request.action << "'\n";
    return 2;
}

}  // namespace pylabhub::host
