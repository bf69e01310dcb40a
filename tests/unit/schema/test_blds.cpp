#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pylabhub/crypto/crypto.hpp"
#include "pylabhub/schema/blds.hpp"

// --- registered types (registration lives at global namespace scope) -----

struct Sample {
    std::uint64_t seq;
    double t;
    float v[8];
};
PYLABHUB_SCHEMA_BEGIN(Sample, "test.Sample", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(seq)
PYLABHUB_SCHEMA_MEMBER(t)
PYLABHUB_SCHEMA_MEMBER(v)
PYLABHUB_SCHEMA_END(Sample)

struct SampleTwin {  // same layout, other name: same BLDS
    std::uint64_t seq;
    double t;
    float v[8];
};
PYLABHUB_SCHEMA_BEGIN(SampleTwin, "test.SampleTwin", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(seq)
PYLABHUB_SCHEMA_MEMBER(t)
PYLABHUB_SCHEMA_MEMBER(v)
PYLABHUB_SCHEMA_END(SampleTwin)

struct SampleReordered {
    double t;
    std::uint64_t seq;
    float v[8];
};
PYLABHUB_SCHEMA_BEGIN(SampleReordered, "test.Sample", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(t)
PYLABHUB_SCHEMA_MEMBER(seq)
PYLABHUB_SCHEMA_MEMBER(v)
PYLABHUB_SCHEMA_END(SampleReordered)

struct SampleRetyped {
    std::uint64_t seq;
    double t;
    std::int32_t v[8];
};
PYLABHUB_SCHEMA_BEGIN(SampleRetyped, "test.Sample", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(seq)
PYLABHUB_SCHEMA_MEMBER(t)
PYLABHUB_SCHEMA_MEMBER(v)
PYLABHUB_SCHEMA_END(SampleRetyped)

struct Flagged {
    std::uint8_t flag;
    std::uint32_t n;
};
PYLABHUB_SCHEMA_BEGIN(Flagged, "test.Flagged", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(flag)
PYLABHUB_SCHEMA_MEMBER(n)
PYLABHUB_SCHEMA_END(Flagged)

struct FlaggedRepadded {  // same members, different padding
    std::uint8_t flag;
    alignas(8) std::uint32_t n;
};
PYLABHUB_SCHEMA_BEGIN(FlaggedRepadded, "test.Flagged", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(flag)
PYLABHUB_SCHEMA_MEMBER_ALIGNED(n, 8)
PYLABHUB_SCHEMA_END(FlaggedRepadded)

struct Point {
    float x;
    float y;
};
PYLABHUB_SCHEMA_BEGIN(Point, "test.Point", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(x)
PYLABHUB_SCHEMA_MEMBER(y)
PYLABHUB_SCHEMA_END(Point)

struct Track {
    std::uint32_t id;
    Point pts[4];
    std::array<std::int16_t, 3> flags;
    bool valid;
    char tag[5];
};
PYLABHUB_SCHEMA_BEGIN(Track, "test.Track", "2.1.0")
PYLABHUB_SCHEMA_MEMBER(id)
PYLABHUB_SCHEMA_MEMBER(pts)
PYLABHUB_SCHEMA_MEMBER(flags)
PYLABHUB_SCHEMA_MEMBER(valid)
PYLABHUB_SCHEMA_MEMBER(tag)
PYLABHUB_SCHEMA_END(Track)

enum class Mode : std::int16_t { idle, running };
struct Matrix {
    double m[3][2];
    std::uint8_t kind;
    Mode mode;
};
PYLABHUB_SCHEMA_BEGIN(Matrix, "test.Matrix", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(m)
PYLABHUB_SCHEMA_MEMBER(kind)
PYLABHUB_SCHEMA_MEMBER(mode)
PYLABHUB_SCHEMA_END(Matrix)

// Registrations that forget or misorder members.
struct Three {
    std::uint64_t a;
    std::uint64_t b;
    std::uint64_t c;
};
struct MissingMiddle : Three {};
struct MissingLast : Three {};
struct MissingFirst : Three {};
struct Misordered : Three {};
PYLABHUB_SCHEMA_BEGIN(MissingMiddle, "test.MissingMiddle", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(a)
PYLABHUB_SCHEMA_MEMBER(c)
PYLABHUB_SCHEMA_END(MissingMiddle)
PYLABHUB_SCHEMA_BEGIN(MissingLast, "test.MissingLast", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(a)
PYLABHUB_SCHEMA_MEMBER(b)
PYLABHUB_SCHEMA_END(MissingLast)
PYLABHUB_SCHEMA_BEGIN(MissingFirst, "test.MissingFirst", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(b)
PYLABHUB_SCHEMA_MEMBER(c)
PYLABHUB_SCHEMA_END(MissingFirst)
PYLABHUB_SCHEMA_BEGIN(Misordered, "test.Misordered", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(b)
PYLABHUB_SCHEMA_MEMBER(a)
PYLABHUB_SCHEMA_MEMBER(c)
PYLABHUB_SCHEMA_END(Misordered)

namespace pylabhub::schema {
namespace {

using ::testing::HasSubstr;

// Golden strings: changing the BLDS grammar changes every schema hash in
// the field, so these must only change on purpose.
TEST(Blds, GoldenStrings) {
    EXPECT_EQ(blds_of<Sample>(), "{seq@0:u64;t@8:f64;v@16:f32[8]}#48");
    EXPECT_EQ(blds_of<Point>(), "{x@0:f32;y@4:f32}#8");
    EXPECT_EQ(blds_of<Track>(), "{id@0:u32;pts@4:{x@0:f32;y@4:f32}#8[4];flags@36:i16[3];valid@42:bool;tag@43:char[5]}#48");
    EXPECT_EQ(blds_of<Matrix>(), "{m@0:f64[3][2];kind@48:u8;mode@50:i16}#56");
    EXPECT_EQ(blds_of<Flagged>(), "{flag@0:u8;n@4:u32}#8");
    EXPECT_EQ(blds_of<FlaggedRepadded>(), "{flag@0:u8;n@8:u32}#16");
}

TEST(Blds, IdenticalLayoutsGiveEqualHashes) {
    EXPECT_EQ(blds_of<Sample>(), blds_of<SampleTwin>());
    EXPECT_EQ(crypto::blake2b_256(blds_of<Sample>()), crypto::blake2b_256(blds_of<SampleTwin>()));
}

TEST(Blds, ReorderedRetypedAndRepaddedGiveDifferentHashes) {
    const auto base = crypto::blake2b_256(blds_of<Sample>());
    EXPECT_NE(crypto::blake2b_256(blds_of<SampleReordered>()), base);
    EXPECT_NE(crypto::blake2b_256(blds_of<SampleRetyped>()), base);
    EXPECT_NE(crypto::blake2b_256(blds_of<FlaggedRepadded>()), crypto::blake2b_256(blds_of<Flagged>()));
}

TEST(Blds, ForgottenMembersAreReportedByName) {
    EXPECT_THROW(
        {
            try {
                (void)blds_of<MissingMiddle>();
            } catch (const SchemaDefinitionError& e) {
                EXPECT_THAT(e.what(), HasSubstr("between 'a' and 'c'"));
                throw;
            }
        },
        SchemaDefinitionError);
    try {
        (void)blds_of<MissingLast>();
        ADD_FAILURE() << "missing last member not detected";
    } catch (const SchemaDefinitionError& e) {
        EXPECT_THAT(e.what(), HasSubstr("after 'b'"));
    }
    try {
        (void)blds_of<MissingFirst>();
        ADD_FAILURE() << "missing first member not detected";
    } catch (const SchemaDefinitionError& e) {
        EXPECT_THAT(e.what(), HasSubstr("before it"));
    }
    try {
        (void)blds_of<Misordered>();
        ADD_FAILURE() << "misordered members not detected";
    } catch (const SchemaDefinitionError& e) {
        EXPECT_THAT(e.what(), HasSubstr("declaration order"));
    }
}

TEST(BldsParse, AcceptsWhatTheBuilderWrites) {
    for (const std::string& text : {blds_of<Sample>(), blds_of<Track>(), blds_of<Matrix>(), blds_of<FlaggedRepadded>()}) {
        auto parsed = parse_blds(text);
        ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message;
    }
    auto track = parse_blds(blds_of<Track>());
    EXPECT_EQ(track->struct_size, sizeof(Track));
    EXPECT_EQ(track->member_count, 5U);
}

// Found by fuzz_blds: a layout is one slot, so nothing in it may exceed the
// largest slot (1 GiB); sizes that large only overflow what follows.
TEST(BldsParse, RefusesSizesBeyondTheLargestSlot) {
    for (const char* text :
         {"{}#44901668901668", "{a@0:u64[200000000]}#1600000000", "{a@2000000000:u8}#2000000001", "{a@0:u8[65536][65536]}#4294967296"}) {
        auto parsed = parse_blds(text);
        ASSERT_FALSE(parsed.has_value()) << text;
        EXPECT_THAT(parsed.error().message, HasSubstr("1 GiB, the largest slot")) << text;
    }
    EXPECT_TRUE(parse_blds("{a@0:u8[1073741824]}#1073741824").has_value()) << "exactly 1 GiB is allowed";
}

TEST(BldsParse, RejectsMalformedTextWithPosition) {
    struct Case {
        std::string text;
        std::string says;
    };
    const Case cases[] = {
        {"", "position 0: expected '{'"},
        {"{a@0:u32}", "expected '#'"},
        {"{a@0:q32}#4", "expected a scalar type"},
        {"{a@0:u32;a@4:u32}#8", "'a' appears twice"},
        {"{a@4:u32;b@0:u32}#8", "'b' overlaps"},
        {"{a@0:u32}#2", "smaller than its members"},
        {"{a@0:u32[0]}#4", "array length must be at least 1"},
        {"{a@0:u32}#4x", "unexpected text"},
        {"{a0:u32}#4", "expected '@'"},
        {"{@0:u32}#4", "expected a member name"},
        {"{a@0:u32[99999999999999999999]}#4", "too large"},
        {[] {
             std::string deep;
             for (int i = 0; i < 40; ++i) deep += "{a@0:";
             return deep;
         }(),
         "nested deeper than 32"},
    };
    for (const auto& c : cases) {
        auto parsed = parse_blds(c.text);
        ASSERT_FALSE(parsed.has_value()) << c.text;
        EXPECT_THAT(parsed.error().message, HasSubstr(c.says)) << c.text;
        EXPECT_THAT(parsed.error().message, HasSubstr("BLDS position")) << c.text;
    }
}

TEST(BldsFormat, PrintsEveryFieldByNameNestedAndArraysCutShort) {
    Track track{};
    track.id = 7;
    for (int i = 0; i < 4; ++i) track.pts[i] = Point{float(i), float(-i)};
    track.flags = {1, -2, 3};
    track.valid = true;
    std::memcpy(track.tag, "cam0", 5);
    auto text = format_payload(blds_of<Track>(), std::as_bytes(std::span(&track, 1)), 2);
    ASSERT_TRUE(text.has_value()) << text.error().message;
    EXPECT_EQ(*text, "id=7 pts=[{x=0 y=0}, {x=1 y=-1}, …2 more] flags=[1, -2, …1 more] valid=true tag=\"cam0\"");

    auto short_payload = format_payload(blds_of<Track>(), std::as_bytes(std::span(&track, 1)).first(10));
    ASSERT_FALSE(short_payload.has_value());
    EXPECT_THAT(short_payload.error().message, HasSubstr("smaller than its schema (48)"));
}

}  // namespace
}  // namespace pylabhub::schema
