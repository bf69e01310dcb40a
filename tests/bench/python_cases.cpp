// The `python` group: tests/bench/python_bench.py measures the pylabhub
// module (its own processes, its own numpy); here its figures join the run,
// beside the C++ ones they are compared with.
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace pylabhub::bench {

void run_python_cases(Results& results) {
#ifdef PLH_PYTHON_BENCH
    const std::string command =
        std::string("PYTHONPATH=") + PLH_PYTHON_PATH + " " + PLH_PYTHON_EXE + " " + PLH_PYTHON_BENCH + " " + PLH_PYLABHUB_EXE;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    std::string output;
    if (pipe != nullptr) {
        char buffer[4096];
        for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
        if (::pclose(pipe) != 0) output.clear();
    }
    try {
        for (const auto& r : nlohmann::json::parse(output)) {
            results.add({r.at("group"), r.at("system"), r.at("bytes"), r.at("metric"), r.at("value"), r.at("unit")});
        }
    } catch (const nlohmann::json::exception&) {
        std::cerr << "  python: " << command << " failed; its figures are missing\n";
    }
#else
    (void)results;
    std::cerr << "  python: not built (no Python, pybind11 or numpy at configure time)\n";
#endif
}

}  // namespace pylabhub::bench
