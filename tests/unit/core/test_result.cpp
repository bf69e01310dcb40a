#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "pylabhub/core/result.hpp"

namespace pylabhub {
namespace {

Result<int> parse_positive(int value) {
    if (value <= 0) return make_error(ErrorCode::invalid_argument, "not positive: " + std::to_string(value));
    return value;
}

TEST(Result, HoldsAValueOrAnError) {
    auto good = parse_positive(3);
    ASSERT_TRUE(good.has_value());
    EXPECT_TRUE(static_cast<bool>(good));
    EXPECT_EQ(*good, 3);

    auto bad = parse_positive(-1);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(bad.error().message, "not positive: -1");
}

TEST(Result, MovesOutMoveOnlyValues) {
    Result<std::unique_ptr<int>> boxed(std::make_unique<int>(7));
    std::unique_ptr<int> taken = std::move(boxed).value();
    EXPECT_EQ(*taken, 7);
}

TEST(Result, VoidResultCarriesOnlySuccessOrError) {
    Result<void> ok;
    EXPECT_TRUE(ok.has_value());
    Result<void> failed = make_error(ErrorCode::timeout, "too slow");
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().code, ErrorCode::timeout);
}

TEST(ErrorCode, EveryCodeHasAName) {
    for (int code = 0; code <= static_cast<int>(ErrorCode::system); ++code) {
        EXPECT_NE(to_string(static_cast<ErrorCode>(code)), "unknown error") << code;
    }
}

}  // namespace
}  // namespace pylabhub
