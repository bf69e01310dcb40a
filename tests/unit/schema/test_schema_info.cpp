#include <cstdint>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pylabhub/schema/schema_info.hpp"

struct Reading {
    std::uint64_t seq;
    double value;
};
PYLABHUB_SCHEMA_BEGIN(Reading, "lab.Reading", "1.2.0")
PYLABHUB_SCHEMA_MEMBER(seq)
PYLABHUB_SCHEMA_MEMBER(value)
PYLABHUB_SCHEMA_END(Reading)

struct ReadingV2 {
    std::uint64_t seq;
    float value;
};
PYLABHUB_SCHEMA_BEGIN(ReadingV2, "lab.ReadingV2", "2.0.0")
PYLABHUB_SCHEMA_MEMBER(seq)
PYLABHUB_SCHEMA_MEMBER(value)
PYLABHUB_SCHEMA_END(ReadingV2)

namespace pylabhub::schema {
namespace {

using ::testing::HasSubstr;

TEST(SchemaInfo, DescribesARegisteredType) {
    const SchemaInfo& info = schema_of<Reading>();
    EXPECT_EQ(info.name, "lab.Reading");
    EXPECT_EQ(info.blds, "{seq@0:u64;value@8:f64}#16");
    EXPECT_EQ(info.hash, crypto::blake2b_256(info.blds));
    EXPECT_EQ(info.hash_hex().size(), 64U);
    EXPECT_EQ(info.version, (SchemaVersion{1, 2, 0}));
    EXPECT_EQ(info.struct_size, sizeof(Reading));
    EXPECT_EQ(&schema_of<Reading>(), &info) << "built once";
}

TEST(SchemaInfo, FromBldsMatchesTheRegisteredForm) {
    auto parsed = SchemaInfo::from_blds("lab.Reading", "{seq@0:u64;value@8:f64}#16", "1.2.0");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->hash, schema_of<Reading>().hash);
    EXPECT_EQ(parsed->struct_size, 16U);
    EXPECT_TRUE(check_compatible(schema_of<Reading>(), *parsed).has_value());
}

TEST(SchemaInfo, FromBldsRejectsBadPartsNamingTheSchema) {
    auto bad_blds = SchemaInfo::from_blds("lab.X", "{seq@0:u64", "1.0.0");
    ASSERT_FALSE(bad_blds.has_value());
    EXPECT_THAT(bad_blds.error().message, HasSubstr("schema 'lab.X'"));
    EXPECT_THAT(bad_blds.error().message, HasSubstr("BLDS position"));
    auto bad_version = SchemaInfo::from_blds("lab.X", "{seq@0:u64}#8", "1.0");
    ASSERT_FALSE(bad_version.has_value());
    EXPECT_THAT(bad_version.error().message, HasSubstr("MAJOR.MINOR.PATCH"));
    EXPECT_FALSE(SchemaInfo::from_blds("", "{seq@0:u64}#8", "1.0.0").has_value());
}

TEST(SchemaVersion, ParsesOnlyThreeDecimalNumbers) {
    EXPECT_EQ(SchemaVersion::parse("1.2.3").value(), (SchemaVersion{1, 2, 3}));
    EXPECT_EQ(SchemaVersion::parse("10.0.42").value().to_string(), "10.0.42");
    for (const char* bad : {"", "1", "1.2", "1.2.3.4", "a.b.c", "1..3", "-1.0.0", "1.2.3 ", "1.2.x"}) {
        EXPECT_FALSE(SchemaVersion::parse(bad).has_value()) << "'" << bad << "'";
    }
}

TEST(Compatibility, EqualHashAndMajorIsCompatibleWhateverTheMinor) {
    SchemaInfo newer_minor = schema_of<Reading>();
    newer_minor.version = {1, 9, 4};
    EXPECT_TRUE(check_compatible(schema_of<Reading>(), newer_minor).has_value());
    EXPECT_FALSE(find_mismatch(schema_of<Reading>(), newer_minor).has_value());
}

TEST(Compatibility, DifferentMajorWithTheSameLayoutIsRefused) {
    SchemaInfo other_major = schema_of<Reading>();
    other_major.version = {2, 0, 0};
    auto result = check_compatible(schema_of<Reading>(), other_major);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::mismatch);
    EXPECT_THAT(result.error().message, HasSubstr("major versions 1 and 2"));
}

TEST(Compatibility, DifferentLayoutsNameBothSchemasAndHashes) {
    const SchemaInfo& expected = schema_of<Reading>();
    const SchemaInfo& actual = schema_of<ReadingV2>();
    auto mismatch = find_mismatch(expected, actual);
    ASSERT_TRUE(mismatch.has_value());
    EXPECT_EQ(mismatch->expected_hash_hex, expected.hash_hex());
    EXPECT_EQ(mismatch->actual_hash_hex, actual.hash_hex());

    auto result = check_compatible(expected, actual);
    ASSERT_FALSE(result.has_value());
    const std::string& message = result.error().message;
    EXPECT_THAT(message, HasSubstr("layouts differ"));
    EXPECT_THAT(message, HasSubstr("'lab.Reading' v1.2.0"));
    EXPECT_THAT(message, HasSubstr("'lab.ReadingV2' v2.0.0"));
    EXPECT_THAT(message, HasSubstr(expected.hash_hex()));
    EXPECT_THAT(message, HasSubstr(actual.hash_hex()));
}

}  // namespace
}  // namespace pylabhub::schema
