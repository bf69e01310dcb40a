// The pipeline loader and planner: any bytes as a pipeline file, checked
// against the built-in plugins (their config maps too).
#include <cstdio>
#include <string>
#include <vector>

#include <unistd.h>

#include "fuzz_target.hpp"
#include "pipeline/pipeline_plan.hpp"
#include "pipeline/yaml_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = "/tmp/plh-fuzz-pipeline-" + std::to_string(::getpid()) + ".yaml";
    static pylabhub::host::PluginRegistry* registry = [] {
        auto* loaded = new pylabhub::host::PluginRegistry;
        loaded->load_directories({PLH_BUILTIN_PLUGIN_DIR});
        return loaded;
    }();
    if (std::FILE* file = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, file);
        std::fclose(file);
    }
    auto loaded = pylabhub::host::load_pipeline_file(path);
    if (!loaded.problems.empty()) {
        (void)pylabhub::host::format_problems(loaded.problems);
        return 0;
    }
    std::vector<pylabhub::host::PipelineProblem> problems;
    (void)pylabhub::host::plan_pipeline(loaded.spec, *registry, problems);
    (void)pylabhub::host::format_problems(problems);
    return 0;
}
