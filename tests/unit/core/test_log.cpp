#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

/// The log written to a file of this test, and stderr again afterwards.
class LogFile : public ::testing::Test {
protected:
    void TearDown() override {
        (void)set_output(Format::text);
        std::filesystem::remove_all(dir_);
    }
    std::string file() const { return (dir_ / "host.log").string(); }
    static std::vector<std::string> lines(const std::string& path) {
        std::vector<std::string> all;
        std::ifstream in(path);
        for (std::string line; std::getline(in, line);) all.push_back(line);
        return all;
    }
    std::filesystem::path dir_ = std::filesystem::temp_directory_path() / ("plh-log-" + std::to_string(::getpid()));
};

TEST_F(LogFile, JsonLinesParseWhateverTheMessageHolds) {
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(set_output(Format::json, file()).has_value());
    set_level(Level::info);
    logger().info("plain");
    logger().warn("quotes \" and \\ backslash, a\nnewline, a\ttab, a \x01 control, UTF-8 µs");
    logger().flush();
    const auto written = lines(file());
    ASSERT_EQ(written.size(), 2U) << "one line a message, the newline escaped";
    const auto first = nlohmann::json::parse(written[0]);
    EXPECT_EQ(first["message"], "plain");
    EXPECT_EQ(first["level"], "info");
    EXPECT_EQ(first["logger"], "pylabhub");
    EXPECT_THAT(first["time"].get<std::string>(), ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z"));
    const auto second = nlohmann::json::parse(written[1]);
    EXPECT_EQ(second["message"], "quotes \" and \\ backslash, a\nnewline, a\ttab, a \x01 control, UTF-8 µs");
    EXPECT_EQ(second["level"], "warning");
    set_level(Level::error);
}

TEST_F(LogFile, AFileRotatesAtItsSizeKeepingTheOldOnes) {
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(set_output(Format::text, file(), 4096, 2).has_value());
    set_level(Level::info);
    for (int i = 0; i < 200; ++i) logger().info("line {} of a log that outgrows its file", i);
    logger().flush();
    EXPECT_TRUE(std::filesystem::exists(dir_ / "host.1.log"));
    EXPECT_TRUE(std::filesystem::exists(dir_ / "host.2.log"));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "host.3.log")) << "two old files kept";
    EXPECT_LE(std::filesystem::file_size(file()), 4096U);
    set_level(Level::error);
}

TEST_F(LogFile, AFileThatCannotBeWrittenIsAnErrorNamingIt) {
    auto refused = set_output(Format::json, std::filesystem::temp_directory_path().string());
    ASSERT_FALSE(refused.has_value());
    EXPECT_THAT(refused.error().message, ::testing::HasSubstr(std::filesystem::temp_directory_path().string()));
    EXPECT_FALSE(parse_format("yaml").has_value());
}

}  // namespace
}  // namespace pylabhub::log
