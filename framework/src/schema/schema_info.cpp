#include "pylabhub/schema/schema_info.hpp"

#include <charconv>

namespace pylabhub::schema {

Result<SchemaVersion> SchemaVersion::parse(std::string_view text) {
    SchemaVersion version;
    std::uint32_t* parts[] = {&version.major, &version.minor, &version.patch};
    std::string_view rest = text;
    for (int i = 0; i < 3; ++i) {
        const std::size_t dot = i < 2 ? rest.find('.') : rest.size();
        const std::string_view part = rest.substr(0, dot);
        const auto [next, ec] = std::from_chars(part.data(), part.data() + part.size(), *parts[i]);
        if (dot == std::string_view::npos || part.empty() || ec != std::errc() || next != part.data() + part.size()) {
            return make_error(ErrorCode::invalid_argument,
                              "schema version '" + std::string(text) + "' is not MAJOR.MINOR.PATCH (e.g. 1.0.0)");
        }
        rest.remove_prefix(i < 2 ? dot + 1 : dot);
    }
    return version;
}

std::string SchemaVersion::to_string() const { return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch); }

namespace detail {

SchemaInfo make_schema_info(std::string_view name, std::string blds, std::string_view version, std::size_t size) {
    auto parsed = SchemaVersion::parse(version);
    if (!parsed) throw SchemaDefinitionError("schema '" + std::string(name) + "': " + parsed.error().message);
    SchemaInfo info;
    info.name = std::string(name);
    info.hash = crypto::blake2b_256(blds);
    info.blds = std::move(blds);
    info.version = *parsed;
    info.struct_size = size;
    return info;
}

}  // namespace detail

Result<SchemaInfo> SchemaInfo::from_blds(std::string_view name, std::string_view blds, std::string_view version) {
    if (name.empty()) return make_error(ErrorCode::invalid_argument, "schema name is empty");
    auto summary = parse_blds(blds);
    if (!summary) {
        return make_error(ErrorCode::invalid_argument, "schema '" + std::string(name) + "': " + summary.error().message);
    }
    if (auto parsed = SchemaVersion::parse(version); !parsed) {
        return make_error(ErrorCode::invalid_argument, "schema '" + std::string(name) + "': " + parsed.error().message);
    }
    return detail::make_schema_info(name, std::string(blds), version, summary->struct_size);
}

std::string SchemaMismatch::message() const {
    return "schema mismatch (" + reason + "): expected '" + expected_name + "' v" + expected_version.to_string() + " hash " +
        expected_hash_hex + ", found '" + actual_name + "' v" + actual_version.to_string() + " hash " + actual_hash_hex;
}

std::optional<SchemaMismatch> find_mismatch(const SchemaInfo& expected, const SchemaInfo& actual) {
    std::string reason;
    if (expected.hash != actual.hash) {
        reason = "layouts differ";
    } else if (expected.version.major != actual.version.major) {
        reason = "same layout, but major versions " + std::to_string(expected.version.major) + " and " +
            std::to_string(actual.version.major) + " declare different meanings";
    } else {
        return std::nullopt;
    }
    return SchemaMismatch{expected.name,    actual.name,    expected.hash_hex(), actual.hash_hex(),
                          expected.version, actual.version, std::move(reason)};
}

Result<void> check_compatible(const SchemaInfo& expected, const SchemaInfo& actual) {
    if (auto mismatch = find_mismatch(expected, actual)) return make_error(ErrorCode::mismatch, mismatch->message());
    return {};
}

}  // namespace pylabhub::schema
