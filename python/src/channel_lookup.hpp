// Finding a channel for a reader: through the broker (by name, its schema
// checked before anything attaches) or by segment name and secret.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <pybind11/pybind11.h>

#include "pipeline/broker_link.hpp"
#include "pylabhub/core/result.hpp"
#include "pylabhub/crypto/crypto.hpp"
#include "pylabhub/schema/schema_info.hpp"

namespace pylabhub::python {

/// The schema a reader expects, if it said one.
struct ExpectedSchema {
    std::optional<schema::SchemaInfo> info;
    /// No version given: the layout alone decides (the channel's version is taken).
    bool any_version = false;
};

/// What a reader needs to attach, and the schema the channel carries.
struct FoundChannel {
    std::string shm_name;
    crypto::SharedSecret secret{};
    std::string schema_name, schema_version, schema_blds, schema_hash;
};

/// Raises ValueError for a BLDS that does not parse; no schema without `blds`;
/// an empty `version` accepts any version of the same layout.
ExpectedSchema expected_schema(const std::optional<std::string>& blds, const std::string& name, const std::string& version);

/// A link to the broker at `endpoint` (the default one when none); an error
/// when nobody answers there: a reader never embeds a broker of its own.
Result<std::unique_ptr<host::BrokerLink>> connect_broker(const std::optional<std::string>& endpoint);

/// Channel `channel` as the broker knows it; a mismatch error naming both
/// schemas and hashes when it carries another layout than `expected`.
Result<FoundChannel> find_channel(host::BrokerLink& broker, const std::string& channel, ExpectedSchema& expected);

/// A segment given directly ("/plh.sensor" and its secret in hex).
Result<FoundChannel> channel_at_segment(const std::string& shm_name, const std::string& secret_hex);

/// A reader's channel, and its link to the broker when it was found there
/// (the reader registers through it).
struct LocatedChannel {
    std::unique_ptr<host::BrokerLink> broker;
    FoundChannel found;
};

/// By `segment` and `secret_hex` when a segment is given, else through the
/// broker (find_channel). Raises the fitting exception.
LocatedChannel locate(const std::string& channel, const std::optional<std::string>& broker, const std::optional<std::string>& segment,
                      const std::optional<std::string>& secret_hex, ExpectedSchema& expected);

/// The channel's schema as a dict (name, version, blds, hash; empty strings without).
pybind11::dict describe(const FoundChannel& found);

}  // namespace pylabhub::python
