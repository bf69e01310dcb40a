// Shared by `validate` and `run`: read the file, find the plugins, plan.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/pipeline_plan.hpp"
#include "pipeline/yaml_loader.hpp"
#include "plugins/plugin_registry.hpp"

namespace pylabhub::host {

struct PreparedPipeline {
    LoadedPipeline loaded;
    PluginRegistry registry;
    PipelinePlan plan;
    std::vector<PipelineProblem> problems;  ///< syntax, shape and plan problems together
};

/// Never throws for user mistakes: everything wrong ends up in `problems`.
PreparedPipeline prepare_pipeline(const std::filesystem::path& file, const std::vector<std::string>& plugin_paths);

}  // namespace pylabhub::host
