// Reading a pipeline file: YAML syntax and the shape of the document
// (known keys, types), every problem with file:line:col.
#pragma once

#include <filesystem>
#include <vector>

#include "pipeline/pipeline_spec.hpp"

namespace pylabhub::host {

struct LoadedPipeline {
    PipelineSpec spec;
    std::vector<PipelineProblem> problems;  ///< empty when the file is well-formed
};

LoadedPipeline load_pipeline_file(const std::filesystem::path& file);

}  // namespace pylabhub::host
