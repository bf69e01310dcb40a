// Where a host publishes the channels it creates, so that another pylabhub
// process on the same machine can attach (until the MessageHub broker does
// this): one JSON file per channel, 0600, in a 0700 directory under
// $XDG_RUNTIME_DIR/pylabhub (or /tmp/pylabhub-<uid>).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "plugins/plugin_registry.hpp"
#include "pylabhub/core/result.hpp"
#include "pylabhub/crypto/crypto.hpp"

namespace pylabhub::host {

struct PublishedChannel {
    std::string channel;
    std::string shm_name;
    crypto::SharedSecret secret{};
    std::optional<SchemaDescription> schema;
    std::string schema_hash_hex;
    std::uint64_t producer_pid = 0;
    std::string pipeline;
};

std::filesystem::path channel_directory();

/// Writes the channel's file; the returned path is removed by the caller at shutdown.
Result<std::filesystem::path> publish_channel(const PublishedChannel& channel);

/// Reads what the creating host published; a clear error if nobody did.
Result<PublishedChannel> find_published_channel(const std::string& channel);

} // namespace pylabhub::host
