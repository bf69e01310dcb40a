#include "cli/run_command.hpp"

#include <ostream>

#include "cli/inspect_command.hpp"
#include "cli/pipeline_loading.hpp"
#include "http/http_service.hpp"
#include "pipeline/runner.hpp"
#include "pylabhub/plugin_abi.h"
#include "version.hpp"

namespace pylabhub::host {

int run_command(const std::string& file, const std::vector<std::string>& plugin_paths, std::optional<double> duration_s,
                const std::string& http_address, std::ostream& out, std::ostream& err) {
    PreparedPipeline prepared = prepare_pipeline(file, plugin_paths);
    print_problems(prepared.registry, err);
    if (!prepared.problems.empty()) {
        err << format_problems(prepared.problems);
        err << "not started: " << prepared.problems.size() << (prepared.problems.size() == 1 ? " problem" : " problems") << " in " << file
            << " ('pylabhub validate " << file << "' lists them too)\n";
        return 1;
    }
    RunOptions options;
    if (duration_s) options.duration = std::chrono::nanoseconds(static_cast<std::int64_t>(*duration_s * 1e9));
    // Bound before anything starts: a port in use stops the start.
    const std::string address = !http_address.empty() ? http_address : prepared.loaded.spec.http_listen;
    std::unique_ptr<HttpService> http;
    if (!address.empty()) {
        auto opened =
            HttpService::open(address, {version(), commit(), std::to_string(PLH_ABI_MAJOR) + "." + std::to_string(PLH_ABI_MINOR)});
        if (!opened) {
            err << "error: " << opened.error().message << "\nnot started\n";
            return 1;
        }
        http = std::move(opened).value();
        const std::string broker = prepared.loaded.spec.broker.value_or("the default (embedded when none runs)");
        options.on_running = [&http, broker](const LiveSource& source) { http->serve(source, broker); };
        options.on_stopping = [&http] { http->stop(); };
    }
    const int code = run_pipeline(prepared.loaded.spec, prepared.plan, options, out, err);
    if (http) http->stop();
    return code;
}

}  // namespace pylabhub::host
