// The command line as a user meets it: signals, environment, odd inputs.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child_process.hpp"
#include "host_harness.hpp"
#include "pylabhub/messagehub/client.hpp"

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

TEST(Cli, APluginThatFailedToLoadIsNamedWithItsReasonFirst) {
    const Outcome inspect = pylabhub({"inspect", "--plugin-path", PLH_BROKEN_PLUGIN_DIR, "broken-schema"});
    EXPECT_EQ(inspect.exit_code, 1) << inspect.output;
    EXPECT_EQ(inspect.output.rfind("error: plugin 'broken-schema' in " PLH_BROKEN_PLUGIN_DIR "/broken_schema.so failed to load: ", 0), 0U)
        << "the reason comes first: " << inspect.output;
    EXPECT_THAT(inspect.output, HasSubstr("schema 'lab.Bad'"));
    EXPECT_THAT(inspect.output, HasSubstr("overlaps"));

    PipelineFile pipeline("brokenplugin",
                          "pipeline: x\nplugin_path: " PLH_BROKEN_PLUGIN_DIR
                          "\nchannels:\n  @: {}\n"
                          "producers:\n  g: {plugin: broken-schema, channel: @}\n");
    const Outcome validate = pylabhub({"validate", pipeline.path()});
    EXPECT_EQ(validate.exit_code, 1) << validate.output;
    EXPECT_THAT(validate.output, HasSubstr(":6:15: plugin 'broken-schema' in " PLH_BROKEN_PLUGIN_DIR "/broken_schema.so failed to load: "));
    EXPECT_THAT(validate.output, Not(HasSubstr("unknown plugin")));
}

TEST(Cli, AHostWithAnEmbeddedBrokerSurvivesBytesThatAreNotJson) {
    PipelineFile pipeline("embedded", "pipeline: x\nchannels:\n  @: {}\nproducers:\n  g: {plugin: sine, channel: @}\n");
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", pipeline.path(), "--duration", "2"});
    wait_for_segment(pipeline.channel());
    messagehub::Client client(messagehub::default_endpoint(), 2s);
    for (const std::string& bad : {std::string("\xff"), std::string("\xc3"), R"({"type":"LIST_REQ","id":)" + std::string(50'000, '[')}) {
        auto reply = client.request(bad);
        ASSERT_TRUE(reply.has_value()) << reply.error().message;
        EXPECT_THAT(*reply, HasSubstr("\"status\":\"error\""));
    }
    EXPECT_TRUE(client.list().has_value()) << "the embedded broker still serves";
    const std::string output = host.read_all(20s);
    EXPECT_EQ(host.wait(10s), 0) << output;
}

// The default broker's directory must be the user's alone: in a shared place
// another user could create it first and serve a broker that learns secrets.
TEST(Cli, TheDefaultBrokerDirectoryMustBeThisUsersAlone) {
    const auto runtime = std::filesystem::temp_directory_path() / ("plh-shared-rt-" + std::to_string(::getpid()));
    const auto directory = runtime / "pylabhub";
    std::filesystem::create_directories(directory);
    std::filesystem::permissions(directory, std::filesystem::perms::all);  // 0777: anyone may put a socket there
    PipelineFile pipeline("privdir", "pipeline: x\nchannels:\n  @: {}\nproducers:\n  g: {plugin: sine, channel: @}\n");
    const std::string env = "XDG_RUNTIME_DIR=" + runtime.string();
    auto run = [&](std::vector<std::string> arguments) {
        arguments.insert(arguments.begin(), {"/usr/bin/env", env, pylabhub_exe()});
        return run_program(arguments, 30s);
    };
    const Outcome refused = run({"run", pipeline.path(), "--duration", "0.5"});
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_THAT(refused.output, HasSubstr(directory.string() + ": refused: others may write into it (mode 0777)"));
    EXPECT_FALSE(std::filesystem::exists("/dev/shm/plh." + pipeline.channel())) << "nothing started";
    EXPECT_THAT(run({"channels"}).output, HasSubstr("refused: others may write into it"));

    if (::geteuid() == 0) {
        std::filesystem::permissions(directory, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
        ASSERT_EQ(::chown(directory.c_str(), 65534, 65534), 0);
        const Outcome foreign = run({"run", pipeline.path(), "--duration", "0.5"});
        EXPECT_EQ(foreign.exit_code, 1) << foreign.output;
        EXPECT_THAT(foreign.output, HasSubstr("refused: it belongs to uid 65534, not to you"));
    }
    std::filesystem::remove_all(runtime);
    const Outcome fresh = run({"run", pipeline.path(), "--duration", "0.5"});
    EXPECT_EQ(fresh.exit_code, 0) << "a missing directory is created, private: " << fresh.output;
    EXPECT_EQ(std::filesystem::status(directory).permissions() & std::filesystem::perms::all, std::filesystem::perms::owner_all);
    std::filesystem::remove_all(runtime);
}

// ZeroMQ aborts the process when one of its threads runs out of file
// descriptors, so the host raises a low soft limit itself, and refuses to
// start (nothing created) when the hard limit is too low.
TEST(Cli, ALowOpenFileLimitIsRaisedOrRefusedBeforeAnythingStarts) {
    PipelineFile pipeline("nofile",
                          "pipeline: x\nchannels:\n  @: {sync: sync_reader}\nproducers:\n  g: {plugin: sine, channel: @}\n"
                          "consumers:\n  a: {plugin: null, inputs: [@]}\n");
    auto run_with = [&](const std::string& limits) {
        return run_program({"/usr/bin/prlimit", "--nofile=" + limits, pylabhub_exe(), "run", pipeline.path(), "--duration", "0.5"}, 30s);
    };
    const Outcome raised = run_with("16:4096");  // soft 16, hard 4096
    EXPECT_EQ(raised.exit_code, 0) << raised.output;
    const Outcome refused = run_with("16:32");
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("the open-file limit is 32, and this pipeline needs about"));
    EXPECT_THAT(refused.output, Not(HasSubstr("src/"))) << "not an abort inside ZeroMQ";
    EXPECT_FALSE(std::filesystem::exists("/dev/shm/plh." + pipeline.channel()));
}

// With a low limit on threads (`ulimit -u`, enforced for an unprivileged
// user), a run either works or fails cleanly: never a crash, never a
// leftover segment. libzmq aborts when it cannot start its own thread; the
// host starts ZeroMQ before creating any segment, so that leaves nothing.
TEST(Cli, ALowThreadLimitIsASetUpErrorNeverACrashOrResidue) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the host as an unprivileged user";
    PipelineFile pipeline("threads",
                          "pipeline: x\nchannels:\n  @: {sync: sync_reader}\nproducers:\n  g: {plugin: sine, channel: @}\n"
                          "consumers:\n  a: {plugin: null, inputs: [@]}\n  b: {plugin: stats, inputs: [@]}\n");
    const auto runtime = std::filesystem::temp_directory_path() / ("plh-nobody-" + std::to_string(::getpid()));
    std::filesystem::create_directories(runtime);
    std::filesystem::permissions(runtime, std::filesystem::perms::all);
    bool saw_thread_error = false;
    bool saw_success = false;
    for (int limit = 1; limit <= 14; ++limit) {
        const Outcome outcome = run_program(
            {"/usr/bin/env", "XDG_RUNTIME_DIR=" + runtime.string(), "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "/usr/bin/prlimit", "--nproc=" + std::to_string(limit), pylabhub_exe(), "run", pipeline.path(), "--duration", "0.3"},
            30s);
        const std::string& output = outcome.output;
        const int code = outcome.exit_code;
        if (code == 126 || code == 127 || output.find("Permission denied") != std::string::npos) {
            std::filesystem::remove_all(runtime);
            GTEST_SKIP() << "the build is not readable by an unprivileged user here: " << output;
        }
        EXPECT_TRUE(code == 0 || code == 1 || code == 128 + SIGABRT) << "limit " << limit << ": exit " << code << "\n" << output;
        if (code == 128 + SIGABRT) {
            EXPECT_THAT(output, HasSubstr("src/thread.cpp")) << "only libzmq may abort";
        }
        EXPECT_FALSE(std::filesystem::exists("/dev/shm/plh." + pipeline.channel())) << "limit " << limit << " left its segment";
        std::filesystem::remove("/dev/shm/plh." + pipeline.channel());
        saw_thread_error = saw_thread_error || (code == 1 && output.find("cannot start a thread") != std::string::npos);
        saw_success = saw_success || code == 0;
    }
    std::filesystem::remove_all(runtime);
    EXPECT_TRUE(saw_success) << "a limit of 14 threads is enough to run";
    // Which limit lands on a component thread rather than on one of
    // ZeroMQ's depends on timing (threads of the broker probes come and go),
    // so under load it may be missed; the rules above hold at every limit.
    if (!saw_thread_error) std::cout << "note: no limit this time stopped a component thread (timing)\n";
}

}  // namespace
}  // namespace pylabhub::test
