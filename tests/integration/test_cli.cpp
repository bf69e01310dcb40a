// The command line as a user meets it: signals, environment, odd inputs.
#include <csignal>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child_process.hpp"
#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

/// A FIFO that no one writes: reading it would block forever.
class Fifo {
public:
    Fifo() : path_(std::filesystem::temp_directory_path() / ("plh-fifo-" + std::to_string(::getpid()))) {
        std::filesystem::remove(path_);
        ::mkfifo(path_.c_str(), 0600);
    }
    ~Fifo() { std::filesystem::remove(path_); }
    std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

TEST(Cli, VerifyOfAFifoFailsAtOnceInsteadOfBlocking) {
    Fifo fifo;
    const Outcome outcome = pylabhub({"verify", fifo.path()}, 10s);
    EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
    EXPECT_THAT(outcome.output, HasSubstr("not a regular file"));
}

TEST(Cli, SigtermEndsACommandThatIsNotWaitingForIt) {
    // `validate` of a FIFO blocks in the YAML read: only the signal can end it.
    Fifo fifo;
    auto child = ChildProcess::spawn({pylabhub_exe(), "validate", fifo.path()});
    std::this_thread::sleep_for(300ms);
    child.signal(SIGTERM);
    const auto code = child.wait(5s);
    ASSERT_TRUE(code.has_value()) << "SIGTERM did not end 'validate'";
    EXPECT_EQ(*code, 128 + SIGTERM);
}

TEST(Cli, LogLevelComesFromTheEnvironmentUnlessTheOptionIsGiven) {
    PipelineFile pipeline("loglevel", "pipeline: x\nchannels:\n  @: {}\nproducers:\n  g: {plugin: sine, channel: @}\n");
    ::setenv("PYLABHUB_LOG_LEVEL", "debug", 1);
    const Outcome from_env = pylabhub({"run", pipeline.path(), "--duration", "0.3"});
    const Outcome option_wins = pylabhub({"--log-level", "warn", "run", pipeline.path(), "--duration", "0.3"});
    ::unsetenv("PYLABHUB_LOG_LEVEL");
    const Outcome default_info = pylabhub({"run", pipeline.path(), "--duration", "0.3"});
    EXPECT_EQ(from_env.exit_code, 0) << from_env.output;
    EXPECT_THAT(from_env.output, HasSubstr(" debug ["));
    EXPECT_THAT(option_wins.output, Not(HasSubstr(" debug [")));
    EXPECT_THAT(option_wins.output, Not(HasSubstr(" info  [")));
    EXPECT_THAT(default_info.output, HasSubstr(" info  ["));
    EXPECT_THAT(default_info.output, Not(HasSubstr(" debug [")));
}

} // namespace
} // namespace pylabhub::test
