#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pylabhub/crypto/crypto.hpp"

namespace pylabhub::crypto {
namespace {

using ::testing::HasSubstr;

// RFC 7693 / reference BLAKE2b with a 32-byte digest.
TEST(Blake2b, KnownVectors) {
    EXPECT_EQ(to_hex(blake2b_256("")), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    EXPECT_EQ(to_hex(blake2b_256("abc")), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST(Blake2b, StreamingEqualsOneShotWhateverTheChunking) {
    std::string message;
    for (int i = 0; i < 10000; ++i) message.push_back(static_cast<char>(i * 13));
    const Digest256 expected = blake2b_256(message);
    for (std::size_t chunk : {1UL, 7UL, 64UL, 127UL, 128UL, 129UL, 4096UL}) {
        Blake2b256 stream;
        for (std::size_t at = 0; at < message.size(); at += chunk) stream.update(std::string_view(message).substr(at, chunk));
        EXPECT_EQ(stream.finalize(), expected) << "chunk " << chunk;
    }
}

TEST(Blake2b, FinalizeStartsAFreshMessage) {
    Blake2b256 stream;
    stream.update("first");
    EXPECT_EQ(stream.finalize(), blake2b_256("first"));
    stream.update("abc");
    EXPECT_EQ(stream.finalize(), blake2b_256("abc"));
}

TEST(Blake2b, ByteSpanAndStringAgree) {
    const std::string text = "pyLabHub";
    EXPECT_EQ(blake2b_256(std::as_bytes(std::span(text.data(), text.size()))), blake2b_256(text));
    EXPECT_NE(blake2b_256("pyLabHub"), blake2b_256("pyLabHuc"));
}

TEST(Random, FillsAndDiffers) {
    std::vector<std::byte> a(64);
    std::vector<std::byte> b(64);
    random_bytes(a);
    random_bytes(b);
    EXPECT_NE(a, b);
    EXPECT_NE(a, std::vector<std::byte>(64));
}

TEST(Random, SharedSecretsAreUnique) {
    std::set<SharedSecret> seen;
    for (int i = 0; i < 100; ++i) seen.insert(generate_shared_secret());
    EXPECT_EQ(seen.size(), 100U);
    EXPECT_EQ(seen.count(SharedSecret{}), 0U);
}

TEST(Initialize, IsSafeFromManyThreadsAtOnce) {
    std::vector<std::thread> threads;
    std::vector<Digest256> digests(8);
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            EXPECT_TRUE(initialize().has_value());
            digests[static_cast<std::size_t>(t)] = blake2b_256("same");
        });
    }
    for (auto& t : threads) t.join();
    for (const auto& d : digests) EXPECT_EQ(d, blake2b_256("same"));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
    const std::vector<std::uint8_t> a{1, 2, 3};
    const std::vector<std::uint8_t> b{1, 2, 3};
    const std::vector<std::uint8_t> c{1, 2, 4};
    const std::vector<std::uint8_t> shorter{1, 2};
    EXPECT_TRUE(constant_time_equal(a, b));
    EXPECT_FALSE(constant_time_equal(a, c));
    EXPECT_FALSE(constant_time_equal(a, shorter));
    EXPECT_TRUE(constant_time_equal({}, {}));
}

TEST(Hex, RoundTripsAndReportsBadInput) {
    const SharedSecret secret = generate_shared_secret();
    const std::string hex = to_hex(secret);
    EXPECT_EQ(hex.size(), 64U);
    auto back = from_hex_fixed<32>(hex);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, secret);
    EXPECT_EQ(from_hex("ABcd").value(), (std::vector<std::uint8_t>{0xab, 0xcd}));

    auto odd = from_hex("abc");
    ASSERT_FALSE(odd.has_value());
    EXPECT_THAT(odd.error().message, HasSubstr("odd number"));
    auto bad = from_hex("zz");
    ASSERT_FALSE(bad.has_value());
    EXPECT_THAT(bad.error().message, HasSubstr("'z' at position 0"));
    auto wrong_length = from_hex_fixed<32>("abcd");
    ASSERT_FALSE(wrong_length.has_value());
    EXPECT_THAT(wrong_length.error().message, HasSubstr("expected 64 hex digits"));
}

}  // namespace
}  // namespace pylabhub::crypto
