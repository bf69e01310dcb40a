// The files `pylabhub new-plugin` writes, per plugin kind; @NAME@ is the
// plugin id (and file stem), @CLASS@ its C++ class name.
#pragma once

#include <string_view>
#include <vector>

namespace pylabhub::host {

struct TemplateFile {
    std::string_view path;  ///< relative to the project directory; @NAME@ replaced
    std::string_view text;
};

/// The project files for `kind` ("producer", "consumer", "processor",
/// "transport"); empty for an unknown kind.
std::vector<TemplateFile> plugin_templates(std::string_view kind);

}  // namespace pylabhub::host
