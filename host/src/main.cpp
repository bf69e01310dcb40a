// pylabhub: one executable, one subcommand a file under cli/.
//
// Exit codes: 0 success, 1 user error (bad config, unknown plugin,
// verification failed), 2 usage, 3+ internal failure.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/inspect_command.hpp"
#include "plugins/plugin_registry.hpp"
#include "pylabhub/log.hpp"
#include "pylabhub/plugin_abi.h"

#ifndef PYLABHUB_VERSION
#define PYLABHUB_VERSION "unknown"
#endif

int main(int argc, char** argv) {
    using namespace pylabhub;
    CLI::App app{"pyLabHub data exchange hub: shared-memory data channels between lab processes"};
    app.set_version_flag("--version", std::string("pylabhub " PYLABHUB_VERSION " (plugin ABI ") +
                                          std::to_string(PLH_ABI_MAJOR) + "." + std::to_string(PLH_ABI_MINOR) + ")");
    std::string log_level = "warn";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();
    app.require_subcommand(1);

    std::vector<std::string> plugin_paths;
    std::string inspect_id;
    CLI::App* inspect = app.add_subcommand("inspect", "List the plugins found, or show one plugin's config map and schema");
    inspect->add_option("ID", inspect_id, "plugin to show in detail");
    inspect->add_option("--plugin-path", plugin_paths,
                        "directory to search first (repeatable); then PYLABHUB_PLUGIN_PATH and the install directory")
        ->allow_extra_args(false);  // `--plugin-path . ID` is one path and an ID

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return 2;
    }
    auto level = log::parse_level(log_level);
    if (!level) {
        std::cerr << "error: --log-level: " << level.error().message << "\n";
        return 2;
    }
    log::set_level(*level);

    try {
        if (inspect->parsed()) {
            host::PluginRegistry registry;
            registry.load_directories(host::plugin_search_path(plugin_paths, {}));
            return inspect_id.empty() ? host::inspect_all(registry, std::cout, std::cerr)
                                      : host::inspect_one(registry, inspect_id, std::cout, std::cerr);
        }
    } catch (const std::exception& e) {
        std::cerr << "internal error: " << e.what() << "\n";
        return 3;
    }
    return 2;
}
