#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pylabhub/log.hpp"

namespace pylabhub::log {
namespace {

TEST(Log, ParsesLevelNamesCaseInsensitively) {
    EXPECT_EQ(parse_level("debug").value(), Level::debug);
    EXPECT_EQ(parse_level("WARN").value(), Level::warn);
    EXPECT_EQ(parse_level("warning").value(), Level::warn);
    EXPECT_EQ(parse_level("Off").value(), Level::off);
    auto bad = parse_level("loud");
    ASSERT_FALSE(bad.has_value());
    EXPECT_THAT(bad.error().message, ::testing::HasSubstr("'loud'"));
}

TEST(Log, ConfigureAndSetLevelChangeTheSharedLogger) {
    configure({.level = Level::debug});
    EXPECT_TRUE(logger().should_log(spdlog::level::debug));
    set_level(Level::warn);
    EXPECT_FALSE(logger().should_log(spdlog::level::info));
    EXPECT_TRUE(logger().should_log(spdlog::level::err));
    set_level(Level::error);
}

} // namespace
} // namespace pylabhub::log
