// A recording's header description (docs/recording-format.md): the JSON
// after the file header, written by the recorder and read by `verify`,
// `dump` and a recorder appending to the file. Header-only: the recorder
// plugin sees only headers. One place knows its fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "pylabhub/recording/format.hpp"

namespace pylabhub::recording {

struct Description {
    std::string channel;
    std::string instance;  ///< the recorder's instance id
    std::string sync;      ///< latest_only, single_reader, sync_reader
    std::uint64_t slot_bytes = 0;
    std::uint32_t slot_count = 0;
    std::uint32_t checksum_policy = 0;
    std::string schema_name;
    std::string schema_version;
    std::string schema_blds;
    std::string schema_hash;
    /// False when the recorder read by a read policy (`read: decimate`...)
    /// or a latest_only channel: gaps in the sequence are then expected.
    bool lossless = true;
};

/// The JSON text the recorder writes (format version kFormatVersion).
inline std::string to_json(const Description& d) {
    const nlohmann::json j = {
        {"format", "pylabhub-recording"},
        {"version", kFormatVersion},
        {"channel", d.channel},
        {"instance", d.instance},
        {"slot_bytes", d.slot_bytes},
        {"slot_count", d.slot_count},
        {"sync", d.sync},
        {"lossless", d.lossless},
        {"checksum_policy", d.checksum_policy},
        {"schema", {{"name", d.schema_name}, {"version", d.schema_version}, {"blds", d.schema_blds}, {"hash", d.schema_hash}}}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// The description in `text`; nullopt and `error` when it is not what a
/// recorder writes (its checksum matched, so that means another writer).
inline std::optional<Description> parse_description(const std::string& text, std::string& error) {
    try {
        const nlohmann::json j = nlohmann::json::parse(text);
        Description d;
        d.channel = j.at("channel").get<std::string>();
        d.instance = j.value("instance", "");
        d.sync = j.at("sync").get<std::string>();
        d.slot_bytes = j.at("slot_bytes").get<std::uint64_t>();
        d.slot_count = j.value("slot_count", 0U);
        d.checksum_policy = j.value("checksum_policy", 0U);
        const nlohmann::json& schema = j.at("schema");
        d.schema_name = schema.value("name", "");
        d.schema_version = schema.value("version", "");
        d.schema_blds = schema.value("blds", "");
        d.schema_hash = schema.value("hash", "");
        d.lossless = j.value("lossless", d.sync != "latest_only");
        return d;
    } catch (const nlohmann::json::exception& e) {
        error = std::string("the header description is not a recorder's: ") + e.what();
        return std::nullopt;
    }
}

}  // namespace pylabhub::recording
