#include "cli/run_command.hpp"

#include <ostream>

#include "cli/inspect_command.hpp"
#include "cli/pipeline_loading.hpp"
#include "pipeline/runner.hpp"

namespace pylabhub::host {

int run_command(const std::string& file, const std::vector<std::string>& plugin_paths, std::optional<double> duration_s,
                std::ostream& out, std::ostream& err) {
    PreparedPipeline prepared = prepare_pipeline(file, plugin_paths);
    print_problems(prepared.registry, err);
    if (!prepared.problems.empty()) {
        err << format_problems(prepared.problems);
        err << "not started: " << prepared.problems.size() << (prepared.problems.size() == 1 ? " problem" : " problems")
            << " in " << file << " ('pylabhub validate " << file << "' lists them too)\n";
        return 1;
    }
    RunOptions options;
    if (duration_s) options.duration = std::chrono::nanoseconds(static_cast<std::int64_t>(*duration_s * 1e9));
    return run_pipeline(prepared.loaded.spec, prepared.plan, options, out, err);
}

} // namespace pylabhub::host
