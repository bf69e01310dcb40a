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

/// A schema's semantic version.
struct SchemaVersion {
    std::uint32_t major = 0;  ///< incompatible meaning changes
    std::uint32_t minor = 0;  ///< compatible additions
    std::uint32_t patch = 0;  ///< fixes

    /// "MAJOR.MINOR.PATCH", each a decimal number.
    static Result<SchemaVersion> parse(std::string_view text);
    /// "MAJOR.MINOR.PATCH".
    std::string to_string() const;
    /// Equal when all three parts are.
    friend bool operator==(const SchemaVersion&, const SchemaVersion&) = default;
};

/// A parsed schema: name, layout, version, and the BLAKE2b hash of its layout.
struct SchemaInfo {
    std::string name;             ///< "lab.Sample"
    std::string blds;             ///< the layout string
    crypto::Digest256 hash{};     ///< BLAKE2b-256 of blds
    SchemaVersion version;        ///< its version
    std::size_t struct_size = 0;  ///< sizeof the struct the layout describes

    /// Builds and checks a SchemaInfo from parts (e.g. read from a plugin or
    /// the broker): the BLDS must parse and the version must be MAJOR.MINOR.PATCH.
    static Result<SchemaInfo> from_blds(std::string_view name, std::string_view blds, std::string_view version);

    /// The hash in hex (64 digits).
    std::string hash_hex() const { return crypto::to_hex(hash); }
};

/// Why two schemas are not compatible, with both sides named.
struct SchemaMismatch {
    std::string expected_name;       ///< the schema wanted
    std::string actual_name;         ///< the schema found
    std::string expected_hash_hex;   ///< BLAKE2b of the wanted layout, hex
    std::string actual_hash_hex;     ///< BLAKE2b of the found layout, hex
    SchemaVersion expected_version;  ///< version wanted
    SchemaVersion actual_version;    ///< version found
    std::string reason;              ///< why they are incompatible

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
