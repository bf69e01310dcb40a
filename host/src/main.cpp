// pylabhub: one executable, one subcommand a file under cli/.
//
// Exit codes: 0 success, 1 user error (bad config, unknown plugin,
// verification failed), 2 usage, 3+ internal failure.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/admin_command.hpp"
#include "cli/broker_commands.hpp"
#include "cli/dump_command.hpp"
#include "cli/observe_commands.hpp"
#include "pylabhub/messagehub/client.hpp"
#include "cli/inspect_command.hpp"
#include "cli/new_plugin_command.hpp"
#include "cli/run_command.hpp"
#include "cli/validate_command.hpp"
#include "cli/verify_command.hpp"
#include "pylabhub/platform/signals.hpp"
#include "plugins/plugin_registry.hpp"
#include "pylabhub/log.hpp"
#include "pylabhub/plugin_abi.h"
#include "cli/top_command.hpp"
#include "version.hpp"

int main(int argc, char** argv) {
    using namespace pylabhub;
    CLI::App app{"pyLabHub data exchange hub: shared-memory data channels between lab processes"};
    app.set_version_flag("--version",
                         std::string("pylabhub ") + host::version() + " (plugin ABI " + std::to_string(PLH_ABI_MAJOR) + "." +
                             std::to_string(PLH_ABI_MINOR) + ", commit " + host::commit() + ")");
    std::optional<std::string> log_level;
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off (default: PYLABHUB_LOG_LEVEL, else info)");
    std::string log_format = "text";
    app.add_option("--log-format", log_format, "text, or json: one JSON object a line, for log collectors")->capture_default_str();
    std::string log_file;
    app.add_option("--log-file", log_file, "write the log to this file instead of stderr, rotated at 10 MiB, 5 kept (FILE.1 ..)");
    app.require_subcommand(1);

    std::vector<std::string> plugin_paths;
    auto add_plugin_path = [&](CLI::App* command) {
        command
            ->add_option("--plugin-path", plugin_paths,
                         "directory to search first (repeatable); then PYLABHUB_PLUGIN_PATH, the pipeline's "
                         "plugin_path and the install directory")
            ->allow_extra_args(false);  // `--plugin-path . ID` is one path and an ID
    };

    std::string pipeline_file;
    std::optional<double> duration_s;
    CLI::App* run = app.add_subcommand("run", "Run a pipeline until SIGINT/SIGTERM, --duration, or every component finished");
    run->add_option("PIPELINE", pipeline_file, "pipeline YAML file")->required();
    run->add_option("--duration", duration_s, "stop after this many seconds");
    std::string http_address;
    run->add_option("--http", http_address,
                    "serve /metrics, /healthz, /api/status and a status page on HOST:PORT (e.g. 127.0.0.1:9464; port 0: any free one)");
    add_plugin_path(run);

    CLI::App* validate = app.add_subcommand("validate", "Check a pipeline file and report every problem as file:line:col; starts nothing");
    validate->add_option("PIPELINE", pipeline_file, "pipeline YAML file")->required();
    add_plugin_path(validate);

    std::string recording_file;
    bool repair_recording = false;
    CLI::App* verify = app.add_subcommand("verify",
                                          "Check a recording's records and sequence; exit 1 on corruption or gaps, "
                                          "5 when only the last record is torn (a crash)");
    verify->add_option("RECORDING", recording_file, "file written by the recorder plugin")->required();
    verify->add_flag("--repair", repair_recording, "cut a torn last record off (only when everything before it is intact)");

    host::DumpRequest dump_request;
    CLI::App* dump = app.add_subcommand("dump", "Print a recording's records field by field, with UTC times");
    dump->add_option("RECORDING", dump_request.file, "file written by the recorder plugin")->required();
    auto* dump_csv = dump->add_flag_callback(
        "--csv", [&] { dump_request.format = host::DumpFormat::csv; }, "CSV: a header row, one row a record");
    auto* dump_json = dump->add_flag_callback(
        "--json", [&] { dump_request.format = host::DumpFormat::json; }, "JSON lines: one object a record");
    dump_csv->excludes(dump_json);
    auto* dump_head = dump->add_option("--head", dump_request.head, "only the first N records");
    dump->add_option("--tail", dump_request.tail, "only the last N records")->excludes(dump_head);

    host::AdminRequest admin_request;
    CLI::App* admin = app.add_subcommand("admin", "Find, diagnose, repair and clean up shared-memory segments");
    admin->require_subcommand(1);
    auto admin_action = [&](const char* name, const char* help, bool takes_segment) {
        CLI::App* action = admin->add_subcommand(name, help);
        if (takes_segment)
            action->add_option("SEGMENT", admin_request.segment, "channel name (sensor) or segment (/plh.sensor)")->required();
        action->add_flag("--json", admin_request.json, "machine-readable output");
        action->callback([&admin_request, name] { admin_request.action = name; });
        return action;
    };
    auto* list_action = admin_action("list", "every pyLabHub segment on this machine, its producer and consumers", false);
    list_action->add_option("PREFIX", admin_request.segment, "only channels whose name starts with this");
    admin_action("diagnose", "slots, consumers and counters of one segment; exit 1 if something is stuck", true);
    admin_action("cleanup-zombies", "retire dead consumers and free slots held by dead writers", true);
    auto* validate_action = admin_action("validate", "check the header, table and every checksum; exit 1 on a problem", true);
    validate_action->add_flag("--repair", admin_request.repair, "rewrite mismatching checksums (never payload)");
    validate_action->add_option("--plugin-path", admin_request.plugin_paths,
                                "directory with the segment's checksum plugin (repeatable); then PYLABHUB_PLUGIN_PATH "
                                "and the install directory");
    auto* reset_action = admin_action("force-reset", "return one slot to free (refused while a live writer holds it)", true);
    reset_action->add_option("--slot", admin_request.slot, "slot index")->required();
    reset_action->add_flag("--force", admin_request.force, "reset even while a live writer holds the slot");
    auto* cleanup_action = admin_action("cleanup", "remove segments with no live producer or consumer", false);
    cleanup_action->add_option("PREFIX", admin_request.segment, "only channels whose name starts with this");
    cleanup_action->add_flag("--dry-run", admin_request.dry_run, "only say what would be removed");
    cleanup_action->add_flag("--unreadable", admin_request.unreadable,
                             "also remove segments that are not readable DataBlocks (truncated, or not pyLabHub's)");

    std::string broker_endpoint = messagehub::default_endpoint();
    host::CurveFiles curve_files;
    auto add_client_keys = [&](CLI::App* command) {
        command->add_option("--curve-server", curve_files.server_public, "the broker's public key file (NAME.pub)");
        command->add_option("--curve-client", curve_files.client_secret, "this client's secret key file (NAME.key)");
    };
    CLI::App* broker = app.add_subcommand("broker", "Run a standalone MessageHub broker until SIGINT/SIGTERM");
    broker->add_option("--bind", broker_endpoint, "endpoint to serve (ipc://PATH or tcp://127.0.0.1:PORT)")->capture_default_str();
    broker->add_option("--curve-secret", curve_files.broker_secret, "require CurveZMQ, with this secret key file (NAME.key)");
    broker->add_option("--allow", curve_files.allowed_clients_dir,
                       "with --curve-secret: serve only the clients whose public keys (NAME.pub) are in this directory");
    std::string broker_http;
    broker->add_option("--http", broker_http, "serve /metrics, /healthz, /api/status and a page about this broker on HOST:PORT");
    bool insecure_broker = false;
    broker->add_flag("--insecure", insecure_broker, "serve a tcp endpoint other machines can reach without CurveZMQ (refused otherwise)");
    std::string keygen_base;
    CLI::App* keygen = app.add_subcommand("keygen", "Write a CurveZMQ key pair: NAME.pub and NAME.key (0600)");
    keygen->add_option("NAME", keygen_base, "path and name of the files to write")->required();
    std::string new_plugin_name, new_plugin_kind, new_plugin_dir;
    bool new_plugin_force = false;
    CLI::App* new_plugin = app.add_subcommand("new-plugin",
                                              "Write a standalone plugin project (source, CMakeLists.txt, README, a pipeline) "
                                              "that builds against the installed SDK (docs/install.md)");
    new_plugin->add_option("NAME", new_plugin_name, "plugin id, file and target name: a-z, 0-9, '_'")->required();
    new_plugin->add_option("--kind", new_plugin_kind, "producer, consumer, processor or transport")->required();
    new_plugin->add_option("--dir", new_plugin_dir, "where to write it (default: ./NAME)");
    new_plugin->add_flag("--force", new_plugin_force, "write into a directory that is not empty");
    bool channels_json = false;
    CLI::App* channels = app.add_subcommand("channels", "The channels registered at the broker and their producers");
    channels->add_option("--broker", broker_endpoint, "broker endpoint")->capture_default_str();
    channels->add_flag("--json", channels_json, "machine-readable output");
    add_client_keys(channels);

    std::string watched_channel;
    std::uint64_t echo_count = 0;
    CLI::App* echo = app.add_subcommand("echo", "Print a channel's newest slots, decoded with its schema (never slows its producer)");
    echo->add_option("CHANNEL", watched_channel, "channel name")->required();
    echo->add_option("-n,--count", echo_count, "stop after N slots (0: until Ctrl-C)")->capture_default_str();
    echo->add_option("--broker", broker_endpoint, "broker endpoint")->capture_default_str();
    bool echo_zones = false;
    echo->add_flag("--zones", echo_zones, "print the channel's flexible zones instead: each version once, as it is written");
    add_client_keys(echo);
    double hz_duration = 0;
    CLI::App* hz = app.add_subcommand("hz", "A channel's rate and period jitter every second");
    hz->add_option("CHANNEL", watched_channel, "channel name")->required();
    hz->add_option("--duration", hz_duration, "stop after S seconds (0: until Ctrl-C)")->capture_default_str();
    hz->add_option("--broker", broker_endpoint, "broker endpoint")->capture_default_str();
    add_client_keys(hz);

    std::uint64_t top_frames = 0;
    CLI::App* top = app.add_subcommand("top", "Every channel on this machine's broker, live: rate, newest sequence, consumers (q quits)");
    top->add_option("--broker", broker_endpoint, "broker endpoint")->capture_default_str();
    top->add_option("--frames", top_frames, "stop after N refreshes (0: until q or Ctrl-C)")->capture_default_str();
    add_client_keys(top);

    std::string inspect_id;
    CLI::App* inspect = app.add_subcommand("inspect", "List the plugins found, or show one plugin's config map and schema");
    inspect->add_option("ID", inspect_id, "plugin to show in detail");
    add_plugin_path(inspect);

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
    if (log_level) {
        auto level = log::parse_level(*log_level);
        if (!level) {
            std::cerr << "error: --log-level: " << level.error().message << "\n";
            return 2;
        }
        log::set_level(*level);
    }
    if (log_format != "text" || !log_file.empty()) {
        auto format = log::parse_format(log_format);
        if (!format) {
            std::cerr << "error: --log-format: " << format.error().message << "\n";
            return 2;
        }
        if (auto output = log::set_output(*format, log_file); !output) {
            std::cerr << "error: --log-file: " << output.error().message << "\n";
            return 2;
        }
    }
    // Only the commands that wait for SIGINT/SIGTERM themselves (and stop
    // cleanly on them) block the signals, before any of their threads exists
    // so that every thread inherits the mask. Every other command keeps the
    // default action: Ctrl-C or `timeout` ends it at once.
    if (run->parsed() || broker->parsed() || echo->parsed() || hz->parsed() || top->parsed()) platform::block_shutdown_signals();

    // The client commands use the default broker unless told otherwise: its
    // directory must be this user's alone before anything is sent there.
    if (channels->parsed() || echo->parsed() || hz->parsed() || top->parsed()) {
        if (auto usable = messagehub::check_endpoint(broker_endpoint); !usable) {
            std::cerr << "error: broker: " << usable.error().message << "\n";
            return 1;
        }
    }
    try {
        if (run->parsed()) return host::run_command(pipeline_file, plugin_paths, duration_s, http_address, std::cout, std::cerr);
        if (validate->parsed()) return host::validate_command(pipeline_file, plugin_paths, std::cout, std::cerr);
        if (verify->parsed()) return host::verify_command(recording_file, repair_recording, std::cout, std::cerr);
        if (dump->parsed()) return host::dump_command(dump_request, std::cout, std::cerr);
        if (admin->parsed()) return host::admin_command(admin_request, std::cout, std::cerr);
        if (broker->parsed()) return host::broker_command(broker_endpoint, curve_files, insecure_broker, broker_http, std::cerr);
        if (keygen->parsed()) return host::keygen_command(keygen_base, std::cout, std::cerr);
        if (new_plugin->parsed()) {
            return host::new_plugin_command(new_plugin_name, new_plugin_kind, new_plugin_dir, new_plugin_force, std::cout, std::cerr);
        }
        if (channels->parsed()) return host::channels_command(broker_endpoint, curve_files, channels_json, std::cout, std::cerr);
        if (echo->parsed())
            return host::echo_command(watched_channel, echo_count, echo_zones, broker_endpoint, curve_files, std::cout, std::cerr);
        if (hz->parsed()) return host::hz_command(watched_channel, hz_duration, broker_endpoint, curve_files, std::cout, std::cerr);
        if (top->parsed()) return host::top_command(broker_endpoint, curve_files, top_frames, std::cout, std::cerr);
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
