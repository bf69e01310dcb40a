#include "plugins/plugin_registry.hpp"

#include "pylabhub/platform/library_file.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "pylabhub/log.hpp"
#include "pylabhub/schema/blds.hpp"

namespace pylabhub::host {
namespace {

/// Libraries stay loaded until the process exits: a plugin may have left
/// threads or callbacks behind, and unloading code that still runs is the
/// crash CLAP and GStreamer users paid for.
std::vector<boost::dll::shared_library>& loaded_libraries() {
    static auto* libraries = new std::vector<boost::dll::shared_library>();
    return *libraries;
}

std::string text(const char* value) { return value != nullptr ? value : ""; }

bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'; });
}

std::string version_text(unsigned major, unsigned minor) { return std::to_string(major) + "." + std::to_string(minor); }

}  // namespace

std::string_view kind_name(plh_plugin_kind kind) noexcept {
    switch (kind) {
    case PLH_KIND_PRODUCER: return "producer";
    case PLH_KIND_CONSUMER: return "consumer";
    case PLH_KIND_CHECKSUM: return "checksum";
    case PLH_KIND_SYNC: return "sync";
    case PLH_KIND_TRANSPORT: return "transport";
    case PLH_KIND_PROCESSOR: return "processor";
    }
    return "unknown";
}

std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& cli_directories,
                                                      const std::vector<std::string>& pipeline_directories) {
    std::vector<std::filesystem::path> path(cli_directories.begin(), cli_directories.end());
    if (const char* env = std::getenv("PYLABHUB_PLUGIN_PATH"); env != nullptr) {
        std::string_view rest(env);
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            const std::string_view part = rest.substr(0, colon);
            if (!part.empty()) path.emplace_back(std::string(part));
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    path.insert(path.end(), pipeline_directories.begin(), pipeline_directories.end());
    std::error_code error;
    const auto program = boost::dll::program_location(error);
    if (!error) {
        // Installed: <prefix>/bin/pylabhub and <prefix>/<libdir>/pylabhub/plugins
        // (lib/x86_64-linux-gnu on Debian); a build tree: build/lib/pylabhub/plugins.
        const std::filesystem::path prefix = program.parent_path().parent_path().string();
        const std::filesystem::path installed = prefix / PYLABHUB_PLUGIN_INSTALL_DIR;
        const std::filesystem::path build_tree = prefix / "lib" / "pylabhub" / "plugins";
        if (installed != build_tree && std::filesystem::is_directory(installed, error)) path.push_back(installed);
        path.push_back(build_tree);
    }
    return path;
}

void PluginRegistry::problem(const std::filesystem::path& file, std::string message) { problem(file, "", std::move(message)); }

void PluginRegistry::problem(const std::filesystem::path& file, const std::string& plugin_id, std::string message) {
    log::logger().debug("plugin {}: {}", file.string(), message);
    problems_.push_back({file, plugin_id, std::move(message)});
}

const LoadProblem* PluginRegistry::failed_to_load(std::string_view id) const {
    for (const auto& p : problems_) {
        if (p.plugin_id == id) return &p;
    }
    // A library that failed as a whole: its name often is the id (thermometer.so, plh_producer_thermometer.so).
    for (const auto& p : problems_) {
        const std::string stem = p.file.stem().string();
        if (p.plugin_id.empty() &&
            (stem == id || (stem.size() > id.size() && stem.ends_with(id) && stem[stem.size() - id.size() - 1] == '_'))) {
            return &p;
        }
    }
    return nullptr;
}

std::string PluginRegistry::load_failure_text(std::string_view id) const {
    const LoadProblem* failed = failed_to_load(id);
    if (failed == nullptr) return {};
    std::string reason = failed->message;
    const std::string named = "plugin '" + std::string(id) + "': ";
    if (reason.rfind(named, 0) == 0) reason.erase(0, named.size());  // said once is enough
    return named.substr(0, named.size() - 2) + " in " + failed->file.string() + " failed to load: " + reason;
}

void PluginRegistry::load_directories(const std::vector<std::filesystem::path>& directories) {
    for (const auto& directory : directories) {
        std::error_code error;
        if (!std::filesystem::is_directory(directory, error)) continue;  // listed in searched(), not an error
        searched_.push_back(directory);
        std::vector<std::filesystem::path> files;
        for (const auto& item : std::filesystem::directory_iterator(directory, error)) {
            if (item.path().extension() == ".so") files.push_back(item.path());
        }
        std::sort(files.begin(), files.end());  // deterministic: the same order on every machine
        for (const auto& file : files) load_file(file);
    }
}

bool PluginRegistry::load_file(const std::filesystem::path& file) {
    std::error_code error;
    const auto canonical = std::filesystem::weakly_canonical(file, error);
    if (std::find(loaded_files_.begin(), loaded_files_.end(), canonical) != loaded_files_.end()) return true;
    loaded_files_.push_back(canonical);

    if (auto whole = platform::check_library_file(file); !whole) {
        problem(file, "cannot be loaded: " + whole.error().message);
        return false;
    }
    boost::dll::shared_library library;
    try {
        library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        problem(file, std::string("cannot be loaded: ") + e.what());
        return false;
    }
    if (!library.has(PLH_ENTRY_SYMBOL)) {
        problem(file, "not a pyLabHub plugin: it exports no '" PLH_ENTRY_SYMBOL "' symbol");
        return false;
    }
    const plh_entry* entry = library.get<const plh_entry*()>(PLH_ENTRY_SYMBOL)();
    if (entry == nullptr || !PLH_HAS_FIELD(entry, plh_entry, descriptor)) {
        problem(file,
                "its plugin entry is missing or too small to be ABI 1 (struct_size " +
                    std::to_string(entry != nullptr ? entry->struct_size : 0) + ")");
        return false;
    }
    const std::string theirs = version_text(entry->abi_major, entry->abi_minor);
    const std::string ours = version_text(PLH_ABI_MAJOR, PLH_ABI_MINOR);
    if (entry->abi_major != PLH_ABI_MAJOR) {
        problem(file,
                "built for plugin ABI " + theirs + "; this host speaks ABI " + ours +
                    " and never loads another major version: rebuild the plugin against this SDK");
        return false;
    }
    if (entry->abi_minor > PLH_ABI_MINOR) {
        problem(file,
                "built for plugin ABI " + theirs + ", newer than this host's ABI " + ours +
                    ": upgrade pylabhub, or rebuild the plugin against the older SDK");
        return false;
    }
    if (entry->init == nullptr || entry->descriptor_count == nullptr || entry->descriptor == nullptr) {
        problem(file, "its plugin entry lacks init, descriptor_count or descriptor");
        return false;
    }
    if (const int32_t status = entry->init(); status != 0) {
        problem(file, "init() failed with status " + std::to_string(status));
        return false;
    }
    const std::uint32_t count = entry->descriptor_count();
    bool any = false;
    for (std::uint32_t i = 0; i < count; ++i) any |= read_descriptor(file, *entry, entry->descriptor(i), i);
    if (!any && count > 0) {
        if (entry->deinit) entry->deinit();
        return false;
    }
    loaded_libraries().push_back(std::move(library));
    return true;
}

bool PluginRegistry::read_descriptor(const std::filesystem::path& file, const plh_entry& entry, const plh_plugin_descriptor* d,
                                     std::uint32_t index) {
    const std::string where = "descriptor " + std::to_string(index);
    if (d == nullptr || !PLH_HAS_FIELD(d, plh_plugin_descriptor, vtable)) {
        problem(file, where + " is missing or too small");
        return false;
    }
    PluginInfo info;
    info.id = text(d->id);
    if (!valid_id(info.id)) {
        problem(file, where + ": id '" + info.id + "' must be 1..64 characters of a-z, 0-9, '_', '-', '.'");
        return false;
    }
    info.kind = static_cast<plh_plugin_kind>(d->kind);
    if (info.kind < PLH_KIND_PRODUCER || info.kind > PLH_KIND_PROCESSOR || (info.kind == PLH_KIND_PROCESSOR && entry.abi_minor < 1)) {
        problem(file, info.id, "plugin '" + info.id + "' has unknown kind " + std::to_string(d->kind));
        return false;
    }
    if (info.kind == PLH_KIND_TRANSPORT && entry.abi_minor < 1) {
        problem(file, info.id,
                "plugin '" + info.id + "' is a transport built for ABI " + std::to_string(entry.abi_major) +
                    ".0; transports need ABI 1.1 or later: rebuild it against this SDK");
        return false;
    }
    if (const PluginInfo* existing = find(info.id, info.kind)) {
        problem(file, info.id,
                "plugin id '" + info.id + "' is already provided by " + existing->file.string() + " as a " +
                    std::string(kind_name(info.kind)) + "; this one is ignored (ids must be unique per kind)");
        return false;
    }
    info.version = text(d->version);
    info.description = text(d->description);
    info.file = file;
    info.abi_major = entry.abi_major;
    info.abi_minor = entry.abi_minor;
    info.descriptor = d;

    for (std::uint32_t i = 0; i < d->config_count && d->config != nullptr; ++i) {
        const plh_config_entry* c = d->config[i];
        if (c == nullptr || !PLH_HAS_FIELD(c, plh_config_entry, max_value) || c->name == nullptr) {
            problem(file, info.id, "plugin '" + info.id + "': config entry " + std::to_string(i) + " is malformed");
            return false;
        }
        if (c->type < PLH_CONFIG_BOOL || c->type > PLH_CONFIG_TREE) {
            problem(file, info.id, "plugin '" + info.id + "': config '" + c->name + "' has unknown type " + std::to_string(c->type));
            return false;
        }
        ConfigSpec spec;
        spec.name = c->name;
        spec.description = text(c->description);
        spec.type = static_cast<plh_config_type>(c->type);
        if (c->default_value != nullptr) spec.default_value = c->default_value;
        spec.required = c->required != 0;
        if (c->has_range != 0) spec.range = std::make_pair(c->min_value, c->max_value);
        info.config.push_back(std::move(spec));
    }
    if (d->schema != nullptr) {
        if (!PLH_HAS_FIELD(d->schema, plh_schema_desc, blds) || d->schema->blds == nullptr) {
            problem(file, info.id, "plugin '" + info.id + "': schema description is malformed");
            return false;
        }
        if (auto parsed = schema::parse_blds(d->schema->blds); !parsed) {
            problem(file, info.id, "plugin '" + info.id + "': schema '" + text(d->schema->name) + "': " + parsed.error().message);
            return false;
        }
        info.schema = SchemaDescription{text(d->schema->name), text(d->schema->version), d->schema->blds};
    }
    switch (info.kind) {
    case PLH_KIND_PRODUCER:
    case PLH_KIND_CONSUMER: {
        const auto* table = static_cast<const plh_producer_vtable*>(d->vtable);
        const bool producer = info.kind == PLH_KIND_PRODUCER;
        const bool complete = d->create != nullptr && d->destroy != nullptr && table != nullptr &&
            (producer ? PLH_HAS_FIELD(table, plh_producer_vtable, fill) && table->wait_next && table->fill
                      : PLH_HAS_FIELD(static_cast<const plh_consumer_vtable*>(d->vtable), plh_consumer_vtable, consume) &&
                     static_cast<const plh_consumer_vtable*>(d->vtable)->consume);
        if (!complete) {
            problem(file, info.id,
                    "plugin '" + info.id + "' lacks create, destroy or its " + std::string(kind_name(info.kind)) + " functions");
            return false;
        }
        break;
    }
    case PLH_KIND_CHECKSUM: {
        const auto* table = static_cast<const plh_checksum_vtable*>(d->vtable);
        if (!PLH_HAS_FIELD(table, plh_checksum_vtable, compute) || table->compute == nullptr || table->digest_bytes > 32) {
            problem(file, info.id, "checksum plugin '" + info.id + "' lacks compute or declares a digest over 32 bytes");
            return false;
        }
        info.checksum = datablock::ChecksumPolicy{table->policy_id, d->id, table->digest_bytes, table->compute};
        break;
    }
    case PLH_KIND_SYNC: {
        const auto* table = static_cast<const plh_sync_vtable*>(d->vtable);
        const bool selects = PLH_HAS_FIELD(table, plh_sync_vtable, select) && table->select != nullptr;
        if (!PLH_HAS_FIELD(table, plh_sync_vtable, max_consumers) || table->policy_id > 3 || (table->policy_id == 0 && !selects)) {
            problem(file, info.id,
                    "sync plugin '" + info.id +
                        "' names no DataBlock sync protocol (policy_id 1..3) "
                        "and is no read policy (select)");
            return false;
        }
        if (selects && (d->create == nullptr || d->destroy == nullptr)) {
            problem(file, info.id, "read policy '" + info.id + "' has select but lacks create or destroy");
            return false;
        }
        info.sync = plh_sync_vtable{};
        std::memcpy(&*info.sync, table, std::min<std::size_t>(table->struct_size, sizeof(plh_sync_vtable)));
        info.sync->struct_size = sizeof(plh_sync_vtable);
        break;
    }
    case PLH_KIND_PROCESSOR: {
        const auto* table = static_cast<const plh_processor_vtable*>(d->vtable);
        if (d->create == nullptr || d->destroy == nullptr || !PLH_HAS_FIELD(table, plh_processor_vtable, process) ||
            table->process == nullptr) {
            problem(file, info.id, "plugin '" + info.id + "' lacks create, destroy or its processor functions");
            return false;
        }
        break;
    }
    case PLH_KIND_TRANSPORT: {
        const auto* table = static_cast<const plh_transport_vtable*>(d->vtable);
        if (d->create == nullptr || d->destroy == nullptr || !PLH_HAS_FIELD(table, plh_transport_vtable, flush) || table->send == nullptr ||
            table->stream == nullptr || table->receive == nullptr) {
            problem(file, info.id, "transport plugin '" + info.id + "' lacks create, destroy, send, stream or receive");
            return false;
        }
        break;
    }
    default: break;
    }
    plugins_.push_back(std::move(info));
    return true;
}

const PluginInfo* PluginRegistry::find(std::string_view id) const {
    for (const auto& plugin : plugins_) {
        if (plugin.id == id) return &plugin;
    }
    return nullptr;
}

const PluginInfo* PluginRegistry::find(std::string_view id, std::uint32_t kind) const {
    for (const auto& plugin : plugins_) {
        if (plugin.id == id && plugin.kind == kind) return &plugin;
    }
    return nullptr;
}

std::optional<std::string> PluginRegistry::suggest(std::string_view id) const {
    std::vector<std::string> ids;
    for (const auto& plugin : plugins_) ids.push_back(plugin.id);
    return did_you_mean(id, ids);
}

}  // namespace pylabhub::host
