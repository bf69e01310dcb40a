// `pylabhub inspect [ID]`: the plugins found, or one plugin in detail.
#pragma once

#include <iosfwd>
#include <string>

#include "plugins/plugin_registry.hpp"

namespace pylabhub::host {

/// Table of every plugin; problems go to `err`. Returns the exit code.
int inspect_all(const PluginRegistry& registry, std::ostream& out, std::ostream& err);
/// One plugin: description, file, ABI, config map, schema. Exit 1 if unknown.
int inspect_one(const PluginRegistry& registry, const std::string& id, std::ostream& out, std::ostream& err);

/// Prints load problems as "warning: FILE: MESSAGE" lines.
void print_problems(const PluginRegistry& registry, std::ostream& err);

}  // namespace pylabhub::host
