#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_value.hpp"

namespace pylabhub::host {
namespace {

using ::testing::HasSubstr;

TEST(ConfigText, DurationsInEveryUnit) {
    EXPECT_EQ(parse_duration_ns("250us").value(), 250'000);
    EXPECT_EQ(parse_duration_ns("10ms").value(), 10'000'000);
    EXPECT_EQ(parse_duration_ns("2s").value(), 2'000'000'000);
    EXPECT_EQ(parse_duration_ns("1.5s").value(), 1'500'000'000);
    EXPECT_EQ(parse_duration_ns("3").value(), 3'000'000'000) << "bare numbers are seconds";
    EXPECT_EQ(parse_duration_ns("1m").value(), 60'000'000'000);
    EXPECT_EQ(parse_duration_ns("100ns").value(), 100);
    EXPECT_THAT(parse_duration_ns("10 parsecs").error().message, HasSubstr("not a duration unit"));
    EXPECT_FALSE(parse_duration_ns("ms").has_value());
    EXPECT_FALSE(parse_duration_ns("-1s").has_value());
}

TEST(ConfigText, SizesInBinaryAndDecimalUnits) {
    EXPECT_EQ(parse_size("4096").value(), 4096U);
    EXPECT_EQ(parse_size("4KiB").value(), 4096U);
    EXPECT_EQ(parse_size("1MiB").value(), 1048576U);
    EXPECT_EQ(parse_size("2GiB").value(), 2147483648U);
    EXPECT_EQ(parse_size("1kB").value(), 1000U);
    EXPECT_EQ(parse_size("1.5KiB").value(), 1536U);
    EXPECT_THAT(parse_size("1.3B").error().message, HasSubstr("whole number of bytes"));
    EXPECT_THAT(parse_size("4 KB/s").error().message, HasSubstr("not a size unit"));
}

TEST(ConfigText, BoolsIntsAndFloats) {
    EXPECT_TRUE(parse_bool("yes").value());
    EXPECT_FALSE(parse_bool("Off").value());
    EXPECT_FALSE(parse_bool("maybe").has_value());
    EXPECT_EQ(parse_int("-42").value(), -42);
    EXPECT_FALSE(parse_int("4.2").has_value());
    EXPECT_THAT(parse_int("99999999999999999999").error().message, HasSubstr("64-bit range"));
    EXPECT_DOUBLE_EQ(parse_float("1e3").value(), 1000.0);
    EXPECT_FALSE(parse_float("nan").has_value());
}

TEST(ConfigText, DidYouMeanFindsTyposOnly) {
    EXPECT_EQ(did_you_mean("rate_hs", {"rate_hz", "channels"}), "rate_hz");
    EXPECT_EQ(did_you_mean("chanels", {"rate_hz", "channels"}), "channels");
    EXPECT_FALSE(did_you_mean("completely_else", {"rate_hz", "channels"}).has_value());
}

class ResolveConfig : public ::testing::Test {
protected:
    std::vector<ConfigSpec> specs{
        {"channels", "channel count", PLH_CONFIG_INT, "8", false, std::make_pair(1.0, 64.0)},
        {"rate_hz", "rate", PLH_CONFIG_FLOAT, "1000", false, std::nullopt},
        {"path", "output file", PLH_CONFIG_STRING, std::nullopt, true, std::nullopt},
        {"timeout", "wait", PLH_CONFIG_DURATION, "10ms", false, std::nullopt},
        {"buffer", "buffer", PLH_CONFIG_SIZE, "4KiB", false, std::nullopt},
        {"tags", "labels", PLH_CONFIG_STRING_LIST, std::nullopt, false, std::nullopt},
        {"enabled", "on?", PLH_CONFIG_BOOL, "true", false, std::nullopt},
    };
    static ConfigInput at(std::string text, int line) { return ConfigInput{text, {}, false, {"p.yaml", line, 7}}; }
};

TEST_F(ResolveConfig, FillsDefaultsAndTypesValues) {
    auto result = resolve_config(specs, {{"path", at("/tmp/x", 3)}, {"tags", ConfigInput{"", {"a", "b"}, true, {}}}});
    ASSERT_TRUE(std::holds_alternative<ResolvedConfig>(result));
    const auto& config = std::get<ResolvedConfig>(result);
    EXPECT_EQ(std::get<std::int64_t>(config.at("channels")), 8);
    EXPECT_DOUBLE_EQ(std::get<double>(config.at("rate_hz")), 1000.0);
    EXPECT_EQ(std::get<std::string>(config.at("path")), "/tmp/x");
    EXPECT_EQ(std::get<Duration>(config.at("timeout")).ns, 10'000'000);
    EXPECT_EQ(std::get<Size>(config.at("buffer")).bytes, 4096U);
    EXPECT_EQ(std::get<std::vector<std::string>>(config.at("tags")), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(std::get<bool>(config.at("enabled")));
}

TEST_F(ResolveConfig, ReportsEveryProblemWithItsPosition) {
    auto result =
        resolve_config(specs, {{"chanels", at("4", 5)}, {"rate_hz", at("fast", 6)}, {"buffer", at("4 apples", 7)}, {"tags", at("a", 8)}},
                       {"p.yaml", 2, 5});
    ASSERT_TRUE(std::holds_alternative<std::vector<ConfigProblem>>(result));
    std::vector<std::string> lines;
    for (const auto& p : std::get<std::vector<ConfigProblem>>(result)) lines.push_back(p.position.to_string() + p.message);
    EXPECT_THAT(lines, ::testing::Contains("p.yaml:5:7: unknown config key 'chanels' (did you mean 'channels'?)"));
    EXPECT_THAT(lines, ::testing::Contains("p.yaml:6:7: config 'rate_hz': 'fast' is not a number"));
    EXPECT_THAT(lines, ::testing::Contains(HasSubstr("p.yaml:7:7: config 'buffer':")));
    EXPECT_THAT(lines, ::testing::Contains("p.yaml:8:7: config 'tags': expected a list of strings, e.g. [a, b]"));
    EXPECT_THAT(lines, ::testing::Contains("p.yaml:2:5: missing required config 'path' (string: output file)"));
    EXPECT_EQ(lines.size(), 5U);
}

TEST_F(ResolveConfig, RangesAreChecked) {
    auto result = resolve_config(specs, {{"path", at("x", 1)}, {"channels", at("65", 4)}});
    ASSERT_TRUE(std::holds_alternative<std::vector<ConfigProblem>>(result));
    const auto& problems = std::get<std::vector<ConfigProblem>>(result);
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_EQ(problems[0].message, "config 'channels': 65 is out of range 1 .. 64");
}

TEST_F(ResolveConfig, APluginWithoutConfigSaysSo) {
    auto result = resolve_config({}, {{"anything", at("1", 1)}});
    ASSERT_TRUE(std::holds_alternative<std::vector<ConfigProblem>>(result));
    EXPECT_THAT(std::get<std::vector<ConfigProblem>>(result)[0].message, HasSubstr("this plugin takes no config"));
}

TEST(ResolveTreeConfig, NestedValuesReachTreeEntriesAsJsonAndNoOtherType) {
    const std::vector<ConfigSpec> specs = {
        {"settings", "nested settings", PLH_CONFIG_TREE, R"({"gain": 1})", false, std::nullopt},
        {"name", "a name", PLH_CONFIG_STRING, "x", false, std::nullopt},
    };
    ConfigInput nested{"", {}, false, {"p.yaml", 4, 9}, true, R"({"roi":[0,0,64,64],"mode":"fast"})"};
    auto result = resolve_config(specs, {{"settings", nested}});
    ASSERT_TRUE(std::holds_alternative<ResolvedConfig>(result));
    EXPECT_EQ(std::get<Tree>(std::get<ResolvedConfig>(result).at("settings")).json, R"({"roi":[0,0,64,64],"mode":"fast"})");
    EXPECT_EQ(to_json_text(std::get<ResolvedConfig>(result).at("name")), R"("x")");

    auto defaults = resolve_config(specs, {});
    ASSERT_TRUE(std::holds_alternative<ResolvedConfig>(defaults));
    EXPECT_EQ(std::get<Tree>(std::get<ResolvedConfig>(defaults).at("settings")).json, R"({"gain":1})");

    auto refused = resolve_config(specs, {{"name", nested}});
    ASSERT_TRUE(std::holds_alternative<std::vector<ConfigProblem>>(refused));
    const auto& problem = std::get<std::vector<ConfigProblem>>(refused).at(0);
    EXPECT_EQ(problem.position.line, 4);
    EXPECT_THAT(problem.message, HasSubstr("nested maps and lists are only for config entries of type tree"));
}

}  // namespace
}  // namespace pylabhub::host
