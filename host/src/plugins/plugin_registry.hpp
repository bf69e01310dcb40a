// Finding and loading plugin libraries (Boost.DLL), checking their ABI,
// and keeping a description of every plugin they offer.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_value.hpp"
#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/plugin_abi.h"

namespace pylabhub::host {

struct SchemaDescription {
    std::string name;
    std::string version;
    std::string blds;
};

struct PluginInfo {
    plh_plugin_kind kind = PLH_KIND_PRODUCER;
    std::string id;
    std::string version;
    std::string description;
    std::vector<ConfigSpec> config;
    std::optional<SchemaDescription> schema;
    std::filesystem::path file;
    std::uint16_t abi_major = 0;
    std::uint16_t abi_minor = 0;
    /// Valid for the life of the process: libraries are never unloaded.
    const plh_plugin_descriptor* descriptor = nullptr;
    /// For checksum plugins: the policy as the DataBlock takes it (stable address).
    std::optional<datablock::ChecksumPolicy> checksum;
    std::optional<plh_sync_vtable> sync;  ///< copied, for sync plugins
};

struct LoadProblem {
    std::filesystem::path file;
    std::string plugin_id;  ///< the plugin it concerns, when known ("" for the whole library)
    std::string message;
};

std::string_view kind_name(plh_plugin_kind kind) noexcept;

/// Where plugins are looked for, in order: --plugin-path directories,
/// PYLABHUB_PLUGIN_PATH (':'-separated), the pipeline's plugin_path, then
/// the install directory (<exe dir>/../lib/pylabhub/plugins).
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& cli_directories,
                                                      const std::vector<std::string>& pipeline_directories);

class PluginRegistry {
public:
    /// Loads every *.so in each directory (not recursive). Problems are kept,
    /// never thrown: one bad library does not stop the others.
    void load_directories(const std::vector<std::filesystem::path>& directories);
    /// Loads one library file; false (and a problem recorded) if it fails.
    bool load_file(const std::filesystem::path& file);

    /// The plugin `id` (the first loaded, when several kinds share the id).
    const PluginInfo* find(std::string_view id) const;
    /// The plugin `id` of kind `kind`: ids are unique per kind, so one
    /// library may offer a producer and a consumer of the same name ("python").
    const PluginInfo* find(std::string_view id, std::uint32_t kind) const;
    const std::deque<PluginInfo>& plugins() const { return plugins_; }
    const std::vector<LoadProblem>& problems() const { return problems_; }
    const std::vector<std::filesystem::path>& searched() const { return searched_; }
    /// "did you mean" for an unknown id.
    std::optional<std::string> suggest(std::string_view id) const;
    /// Why a plugin that is not found failed to load, if a library that
    /// offers it (or is named after it) was refused; nullptr otherwise.
    const LoadProblem* failed_to_load(std::string_view id) const;
    /// "plugin 'ID' in FILE failed to load: REASON", or "" (see failed_to_load).
    std::string load_failure_text(std::string_view id) const;

private:
    void problem(const std::filesystem::path& file, std::string message);
    void problem(const std::filesystem::path& file, const std::string& plugin_id, std::string message);
    bool read_descriptor(const std::filesystem::path& file, const plh_entry& entry, const plh_plugin_descriptor* d, std::uint32_t index);

    std::deque<PluginInfo> plugins_;  // deque: pointers stay valid as it grows
    std::vector<LoadProblem> problems_;
    std::vector<std::filesystem::path> searched_;
    std::vector<std::filesystem::path> loaded_files_;
};

}  // namespace pylabhub::host
