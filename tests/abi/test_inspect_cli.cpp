// `pylabhub inspect` as a user runs it: the real executable, its output and exit code.
#include <array>
#include <cstdio>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

namespace {

using ::testing::HasSubstr;

struct Outcome {
    int exit_code;
    std::string output;  // stdout and stderr
};

Outcome run(const std::string& arguments) {
    const std::string command = std::string(PLH_PYLABHUB_EXE) + " " + arguments + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    Outcome outcome{-1, {}};
    if (pipe == nullptr) return outcome;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) outcome.output += buffer.data();
    const int status = ::pclose(pipe);
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return outcome;
}

TEST(InspectCli, ListsTheBuiltinPluginsFromTheInstallLayout) {
    const Outcome listed = run("inspect");
    EXPECT_EQ(listed.exit_code, 0) << listed.output;
    EXPECT_THAT(listed.output, HasSubstr("KIND      ID"));
    EXPECT_THAT(listed.output, ::testing::ContainsRegex("producer +sine +1\\.0\\.0 +1\\.1 +N sine channels"));
    EXPECT_THAT(listed.output, ::testing::ContainsRegex("checksum +xxh3 "));
    EXPECT_THAT(listed.output, ::testing::ContainsRegex("sync +sync_reader "));
    EXPECT_THAT(listed.output, ::testing::ContainsRegex("consumer +recorder "));
    EXPECT_THAT(listed.output, ::testing::ContainsRegex("producer +frames "));
    EXPECT_THAT(listed.output, ::testing::ContainsRegex("transport +zmq "));
    EXPECT_THAT(listed.output, ::testing::ContainsRegex("transport +nats "));
#ifdef PLH_HAVE_PYTHON_PLUGIN
    // One library, two plugins of one id: the python producer and consumer.
    EXPECT_THAT(listed.output, ::testing::ContainsRegex("producer +python "));
    EXPECT_THAT(listed.output, ::testing::ContainsRegex("consumer +python "));
    EXPECT_THAT(listed.output, HasSubstr("21 plugins from 14 files"));
#else
    EXPECT_THAT(listed.output, HasSubstr("19 plugins from 13 files"));
#endif
}

TEST(InspectCli, ShowsOnePluginsConfigMapDefaultsAndSchema) {
    const Outcome sine = run("inspect sine");
    EXPECT_EQ(sine.exit_code, 0) << sine.output;
    EXPECT_THAT(sine.output, HasSubstr("sine (producer) 1.0.0"));
    EXPECT_THAT(sine.output, ::testing::ContainsRegex("channels +int +8 +1 \\.\\. 1024 +number of channels"));
    EXPECT_THAT(sine.output, ::testing::ContainsRegex("rate_hz +float +1000 "));
    EXPECT_THAT(sine.output, HasSubstr("declared when created"));
}

TEST(InspectCli, ExtraPluginPathIsSearchedAndItsProblemsAreShown) {
    const Outcome with_tests = run("inspect --plugin-path " PLH_ABI_TEST_PLUGIN_DIR " c-ramp");
    EXPECT_EQ(with_tests.exit_code, 0) << with_tests.output;
    EXPECT_THAT(with_tests.output, HasSubstr("{value@0:u64}#8"));
    EXPECT_THAT(with_tests.output, HasSubstr("warning: "));
    EXPECT_THAT(with_tests.output, HasSubstr("major_two.so: built for plugin ABI 2.0"));
}

TEST(InspectCli, UnknownIdIsAUserErrorWithASuggestion) {
    const Outcome unknown = run("inspect sinne");
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_THAT(unknown.output, HasSubstr("no plugin 'sinne' (did you mean 'sine'?)"));
}

TEST(InspectCli, UsageErrorsExitWithTwoAndHelpWithZero) {
    EXPECT_EQ(run("").exit_code, 2);
    EXPECT_EQ(run("inspect --no-such-flag").exit_code, 2);
    const Outcome help = run("inspect --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_THAT(help.output, HasSubstr("--plugin-path"));
}

}  // namespace
