#include "cli/inspect_command.hpp"

#include <algorithm>
#include <iomanip>
#include <ostream>
#include <set>

namespace pylabhub::host {
namespace {

std::string range_text(const ConfigSpec& spec) {
    if (!spec.range) return "";
    auto number = [](double v) {
        if (v <= -1.7e308) return std::string("-inf");
        if (v >= 1.7e308) return std::string("inf");
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%g", v);
        return std::string(buffer);
    };
    if (spec.range->first <= -1.7e308 && spec.range->second >= 1.7e308) return "";
    return number(spec.range->first) + " .. " + number(spec.range->second);
}

void describe_plugin(const PluginInfo& plugin, std::ostream& out);

}  // namespace

void print_problems(const PluginRegistry& registry, std::ostream& err) {
    for (const auto& problem : registry.problems()) {
        err << "warning: " << problem.file.string() << ": " << problem.message << "\n";
    }
}

int inspect_all(const PluginRegistry& registry, std::ostream& out, std::ostream& err) {
    std::vector<const PluginInfo*> sorted;
    for (const auto& plugin : registry.plugins()) sorted.push_back(&plugin);
    std::sort(sorted.begin(), sorted.end(),
              [](const PluginInfo* a, const PluginInfo* b) { return std::make_pair(a->kind, a->id) < std::make_pair(b->kind, b->id); });
    std::size_t id_width = 2;
    for (const auto* p : sorted) id_width = std::max(id_width, p->id.size());
    out << std::left << std::setw(10) << "KIND" << std::setw(static_cast<int>(id_width) + 2) << "ID" << std::setw(10) << "VERSION"
        << std::setw(5) << "ABI"
        << "DESCRIPTION\n";
    std::set<std::filesystem::path> files;
    for (const auto* p : sorted) {
        out << std::left << std::setw(10) << kind_name(p->kind) << std::setw(static_cast<int>(id_width) + 2) << p->id << std::setw(10)
            << p->version << std::setw(5) << (std::to_string(p->abi_major) + "." + std::to_string(p->abi_minor)) << p->description << "\n";
        files.insert(p->file);
    }
    out << "\n" << sorted.size() << " plugins from " << files.size() << " files in:";
    for (const auto& dir : registry.searched()) out << " " << dir.string();
    out << "\n";
    if (registry.searched().empty()) out << "(no plugin directory exists: use --plugin-path DIR or PYLABHUB_PLUGIN_PATH)\n";
    print_problems(registry, err);
    return 0;
}

int inspect_one(const PluginRegistry& registry, const std::string& id, std::ostream& out, std::ostream& err) {
    const PluginInfo* first = registry.find(id);
    if (first == nullptr) {
        if (const std::string failed = registry.load_failure_text(id); !failed.empty()) {
            err << "error: " << failed << "\n";
            return 1;
        }
        err << "error: no plugin '" << id << "'";
        if (auto guess = registry.suggest(id)) err << " (did you mean '" << *guess << "'?)";
        err << "; 'pylabhub inspect' lists them\n";
        if (id == "python")
            err << "The python plugin is built when python3-dev, pybind11-dev and python3-numpy are installed ('make deps').\n";
        print_problems(registry, err);
        return 1;
    }
    // One id may name a plugin of each kind (the python producer and consumer).
    bool later = false;
    for (const PluginInfo& p : registry.plugins()) {
        if (p.id != id) continue;
        if (later) out << "\n";
        later = true;
        describe_plugin(p, out);
    }
    print_problems(registry, err);  // never hide a library that failed to load
    return 0;
}

namespace {

void describe_plugin(const PluginInfo& plugin, std::ostream& out) {
    const PluginInfo* p = &plugin;
    out << p->id << " (" << kind_name(p->kind) << ") " << p->version << "\n";
    out << "  " << p->description << "\n\n";
    out << "  File:  " << p->file.string() << "\n";
    out << "  ABI:   " << p->abi_major << "." << p->abi_minor << "\n";
    if (p->checksum) {
        out << "  Checksum policy id " << p->checksum->id << ", digest " << p->checksum->digest_bytes << " bytes\n";
    }
    if (p->sync && p->sync->select != nullptr) {
        out << "  Read policy: name it on a pipeline input with 'read: " << p->id << "'\n";
    } else if (p->sync) {
        out << "  Sync protocol id " << p->sync->policy_id << ", " << (p->sync->lossless ? "lossless" : "may drop slots")
            << ", consumers: " << (p->sync->max_consumers == 0 ? std::string("as configured") : std::to_string(p->sync->max_consumers))
            << "\n";
    }
    out << "\nConfig:\n";
    if (p->config.empty()) {
        out << "  (none)\n";
    } else {
        std::size_t name_width = 4;
        for (const auto& c : p->config) name_width = std::max(name_width, c.name.size());
        out << "  " << std::left << std::setw(static_cast<int>(name_width) + 2) << "NAME" << std::setw(13) << "TYPE" << std::setw(12)
            << "DEFAULT" << std::setw(18) << "RANGE"
            << "DESCRIPTION\n";
        for (const auto& c : p->config) {
            const std::string fallback = c.required ? "(required)" : c.default_value ? *c.default_value : "-";
            out << "  " << std::left << std::setw(static_cast<int>(name_width) + 2) << c.name << std::setw(13) << type_name(c.type)
                << std::setw(12) << fallback << std::setw(18) << range_text(c) << c.description << "\n";
        }
    }
    out << "\nSchema:\n";
    if (p->schema) {
        out << "  " << p->schema->name << " " << p->schema->version << "\n  " << p->schema->blds << "\n";
    } else if (p->kind == PLH_KIND_PRODUCER) {
        out << "  declared when created (it depends on the configuration)\n";
    } else if (p->kind == PLH_KIND_CONSUMER) {
        out << "  any (accepts every schema)\n";
    } else {
        out << "  (not applicable)\n";
    }
}

}  // namespace

}  // namespace pylabhub::host
