#include "channel_lookup.hpp"

#include "errors.hpp"
#include "pylabhub/messagehub/client.hpp"

namespace pylabhub::python {

ExpectedSchema expected_schema(const std::optional<std::string>& blds, const std::string& name, const std::string& version) {
    if (!blds) return {};
    const bool any_version = version.empty();
    return {value_or_raise(schema::SchemaInfo::from_blds(name, *blds, any_version ? "0.0.0" : version), "schema '" + name + "'"),
            any_version};
}

Result<std::unique_ptr<host::BrokerLink>> connect_broker(const std::optional<std::string>& endpoint) {
    return host::BrokerLink::open(endpoint.value_or(messagehub::default_endpoint()));
}

Result<FoundChannel> find_channel(host::BrokerLink& broker, const std::string& channel, ExpectedSchema& expected) {
    auto record = broker.discover(channel);
    if (!record) {
        return make_error(record.error().code == ErrorCode::timeout ? ErrorCode::timeout : ErrorCode::not_found,
                          "channel '" + channel + "': the broker at " + broker.endpoint() + " does not know it (" + record.error().message +
                              "); is its producer running?");
    }
    FoundChannel found{record->shm_name, {}, record->schema_name, record->schema_version, record->schema_blds, record->schema_hash};
    auto secret = crypto::from_hex_fixed<32>(record->secret_hex);
    if (!secret) return make_error(ErrorCode::corrupt, "channel '" + channel + "': the broker gave a malformed secret");
    found.secret = *secret;
    if (expected.info) {
        if (found.schema_blds.empty()) {
            return make_error(ErrorCode::mismatch,
                              "channel '" + channel + "' carries no schema, but the reader expects '" + expected.info->name + "' (hash " +
                                  expected.info->hash_hex() + ")");
        }
        auto actual = schema::SchemaInfo::from_blds(found.schema_name, found.schema_blds, found.schema_version);
        if (!actual) return make_error(ErrorCode::corrupt, "channel '" + channel + "': its schema: " + actual.error().message);
        if (expected.any_version) expected.info->version = actual->version;
        if (auto fits = schema::check_compatible(*expected.info, *actual); !fits) {
            return make_error(ErrorCode::mismatch, "channel '" + channel + "': " + fits.error().message);
        }
    }
    return found;
}

Result<FoundChannel> channel_at_segment(const std::string& shm_name, const std::string& secret_hex) {
    auto secret = crypto::from_hex_fixed<32>(secret_hex);
    if (!secret) return make_error(ErrorCode::invalid_argument, "segment '" + shm_name + "': the secret must be 64 hex digits");
    FoundChannel found;
    found.shm_name = shm_name;
    found.secret = *secret;
    return found;
}

LocatedChannel locate(const std::string& channel, const std::optional<std::string>& broker, const std::optional<std::string>& segment,
                      const std::optional<std::string>& secret_hex, ExpectedSchema& expected) {
    LocatedChannel located;
    if (segment) {
        located.found = value_or_raise(channel_at_segment(*segment, secret_hex.value_or("")));
    } else {
        located.broker = value_or_raise(connect_broker(broker), "channel '" + channel + "'");
        located.found = value_or_raise(find_channel(*located.broker, channel, expected));
    }
    return located;
}

pybind11::dict describe(const FoundChannel& found) {
    pybind11::dict d;
    d["name"] = found.schema_name;
    d["version"] = found.schema_version;
    d["blds"] = found.schema_blds;
    d["hash"] = found.schema_hash;
    return d;
}

}  // namespace pylabhub::python
