// /api/status and /api/channels/NAME/latest as JSON (docs/observability.md).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "http/live_status.hpp"
#include "pylabhub/datablock/observer.hpp"

namespace pylabhub::host {

nlohmann::json status_json(const PipelineStatus& status, const std::string& broker);

/// One observed slot decoded field by field with its channel's schema
/// (numbers as numbers, char arrays as strings); without a schema, its
/// first bytes in hex.
nlohmann::json slot_json(const std::string& channel, const datablock::ObservedSlot& slot, const std::optional<SchemaDescription>& schema,
                         std::uint64_t now_ns);

}  // namespace pylabhub::host
