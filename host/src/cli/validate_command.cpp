#include "cli/validate_command.hpp"

#include <iomanip>
#include <ostream>

#include "cli/inspect_command.hpp"
#include "cli/pipeline_loading.hpp"

namespace pylabhub::host {

int validate_command(const std::string& file, const std::vector<std::string>& plugin_paths, std::ostream& out, std::ostream& err) {
    PreparedPipeline prepared = prepare_pipeline(file, plugin_paths);
    print_problems(prepared.registry, err);
    if (!prepared.problems.empty()) {
        err << format_problems(prepared.problems);
        err << prepared.problems.size() << (prepared.problems.size() == 1 ? " problem" : " problems") << " in " << file << "\n";
        return 1;
    }
    const auto& spec = prepared.loaded.spec;
    out << file << ": OK: pipeline '" << spec.name << "', " << spec.channels.size() << " channel" << (spec.channels.size() == 1 ? "" : "s")
        << ", " << spec.producers.size() << " producer" << (spec.producers.size() == 1 ? "" : "s") << ", " << spec.consumers.size()
        << " consumer" << (spec.consumers.size() == 1 ? "" : "s");
    if (!spec.processors.empty()) out << ", " << spec.processors.size() << " processor" << (spec.processors.size() == 1 ? "" : "s");
    if (!spec.transports.empty()) out << ", " << spec.transports.size() << " transport" << (spec.transports.size() == 1 ? "" : "s");
    out << ", " << std::fixed << std::setprecision(1) << double(prepared.plan.shared_memory_bytes) / 1048576.0 << " MiB of shared memory\n";
    return 0;
}

}  // namespace pylabhub::host
