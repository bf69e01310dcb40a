#include "cli/new_plugin_command.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <regex>

#include "scaffold/plugin_templates.hpp"

namespace pylabhub::host {
namespace {

/// sensor_board -> SensorBoard: the C++ class of the plugin.
std::string class_name(const std::string& name) {
    std::string result;
    bool upper = true;
    for (const char c : name) {
        if (c == '_') {
            upper = true;
            continue;
        }
        result += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        upper = false;
    }
    return result;
}

std::string filled(std::string_view text, const std::string& name, const std::string& kind) {
    std::string out(text);
    out = std::regex_replace(out, std::regex("@NAME@"), name);
    out = std::regex_replace(out, std::regex("@CLASS@"), class_name(name));
    return std::regex_replace(out, std::regex("@KIND@"), kind);
}

}  // namespace

int new_plugin_command(const std::string& name, const std::string& kind, std::string directory, bool force, std::ostream& out,
                       std::ostream& err) {
    // The name is the plugin id, a file stem, a CMake target and part of a
    // C++ class name: lower-case letters, digits and '_', a letter first.
    if (!std::regex_match(name, std::regex("[a-z][a-z0-9_]{0,63}"))) {
        err << "error: plugin name '" << name << "' must be 1..64 of a-z, 0-9 and '_', starting with a letter\n";
        return 1;
    }
    const auto files = plugin_templates(kind);
    if (files.empty()) {
        err << "error: --kind '" << kind << "' is not one of producer, consumer, processor, transport\n";
        return 1;
    }
    if (directory.empty()) directory = name;
    const std::filesystem::path dir(directory);
    std::error_code error;
    if (std::filesystem::exists(dir, error) && !std::filesystem::is_empty(dir, error) && !force) {
        err << "error: " << dir.string() << " is not empty; choose another --dir, or --force to write into it "
            << "(files of the same name are replaced)\n";
        return 1;
    }
    std::filesystem::create_directories(dir, error);
    if (error) {
        err << "error: cannot create " << dir.string() << ": " << error.message() << "\n";
        return 1;
    }
    for (const auto& file : files) {
        const std::filesystem::path path = dir / filled(file.path, name, kind);
        std::ofstream stream(path, std::ios::binary | std::ios::trunc);
        stream << filled(file.text, name, kind);
        if (!stream) {
            err << "error: cannot write " << path.string() << "\n";
            return 1;
        }
        out << "wrote " << path.string() << "\n";
    }
    out << "\na " << kind << " plugin '" << name << "'. Next:\n"
        << "  cd " << dir.string() << "\n"
        << "  cmake -S . -B build -DCMAKE_PREFIX_PATH=<where pyLabHub is installed>   # not needed for /usr\n"
        << "  cmake --build build\n"
        << "  pylabhub inspect --plugin-path build " << name << "\n"
        << (kind == "transport" ? "  pylabhub run " + name + "_send.yaml && pylabhub run " + name + "_receive.yaml\n"
                                : "  pylabhub run " + name + ".yaml --duration 3\n");
    return 0;
}

}  // namespace pylabhub::host
