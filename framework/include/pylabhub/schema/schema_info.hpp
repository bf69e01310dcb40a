// SchemaInfo: what a producer and a consumer compare before they share slots.
//
// The rule (docs/schema.md): two schemas are compatible when their BLDS
// hashes are equal and their semantic versions have the same major number.
// Minor and patch may differ (documentation, units clarified); a layout
// change always changes the hash; a change of meaning without a layout
// change must bump the major version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pylabhub/core/result.hpp"
#include "pylabhub/crypto/crypto.hpp"
#include "pylabhub/schema/blds.hpp"

namespace pylabhub::schema {

struct SchemaVersion {
    std::uint32_t major = 0;
    std::uint32_t minor = 0;
    std::uint32_t patch = 0;

    /// "MAJOR.MINOR.PATCH", each a decimal number.
    static Result<SchemaVersion> parse(std::string_view text);
    std::string to_string() const;
    friend bool operator==(const SchemaVersion&, const SchemaVersion&) = default;
};

struct SchemaInfo {
    std::string name;
    std::string blds;
    crypto::Digest256 hash{};  ///< BLAKE2b-256 of blds
    SchemaVersion version;
    std::size_t struct_size = 0;

    /// Builds and checks a SchemaInfo from parts (e.g. read from a plugin or
    /// the broker): the BLDS must parse and the version must be MAJOR.MINOR.PATCH.
    static Result<SchemaInfo> from_blds(std::string_view name, std::string_view blds, std::string_view version);

    std::string hash_hex() const { return crypto::to_hex(hash); }
};

/// Why two schemas are not compatible, with both sides named.
struct SchemaMismatch {
    std::string expected_name;
    std::string actual_name;
    std::string expected_hash_hex;
    std::string actual_hash_hex;
    SchemaVersion expected_version;
    SchemaVersion actual_version;
    std::string reason;

    /// One line that carries both names, versions and hashes.
    std::string message() const;
};

std::optional<SchemaMismatch> find_mismatch(const SchemaInfo& expected, const SchemaInfo& actual);

/// mismatch Error whose message is SchemaMismatch::message().
Result<void> check_compatible(const SchemaInfo& expected, const SchemaInfo& actual);

namespace detail {
SchemaInfo make_schema_info(std::string_view name, std::string blds, std::string_view version, std::size_t size);
}

/// The SchemaInfo of a registered type, built once.
template <Registered T>
const SchemaInfo& schema_of() {
    static const SchemaInfo info = detail::make_schema_info(SchemaTraits<T>::name, blds_of<T>(), SchemaTraits<T>::version, sizeof(T));
    return info;
}

}  // namespace pylabhub::schema
