#include "cli/pipeline_loading.hpp"

namespace pylabhub::host {

PreparedPipeline prepare_pipeline(const std::filesystem::path& file, const std::vector<std::string>& plugin_paths) {
    PreparedPipeline prepared;
    prepared.loaded = load_pipeline_file(file);
    prepared.problems = prepared.loaded.problems;
    prepared.registry.load_directories(plugin_search_path(plugin_paths, prepared.loaded.spec.plugin_path));
    // A syntax error leaves nothing sound to plan; shape problems still let
    // the plan report the rest, so that one run shows every mistake.
    const bool syntax_error = !prepared.problems.empty() && prepared.problems.front().message.rfind("YAML syntax", 0) == 0;
    if (!syntax_error) prepared.plan = plan_pipeline(prepared.loaded.spec, prepared.registry, prepared.problems);
    return prepared;
}

}  // namespace pylabhub::host
