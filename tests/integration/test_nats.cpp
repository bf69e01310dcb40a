// The nats transport against real nats-server processes (one server with
// JetStream, or a three-node cluster) on loopback ports, between real
// hosts: the publisher and receivers are `pylabhub run` processes.
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "host_harness.hpp"
#include "nats_server.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;

/// A publishing pipeline: the counter into '@', published by `nats`.
std::string publisher_yaml(const std::string& counter, const std::string& nats,
                           const std::string& channel = "{slots: 64, slot_bytes: 4KiB, sync: single_reader}") {
    return "pipeline: nats_pub\nchannels:\n  @: " + channel + "\nproducers:\n  gen: {plugin: counter, channel: @, config: {" + counter +
        "}}\ntransports:\n  publish: {plugin: nats, channel: @, direction: out, config: {" + nats + "}}\n";
}

/// A receiving pipeline: `nats` into '@', recorded.
std::string receiver_yaml(const std::string& nats, const std::string& recorder = "path: RECORDING",
                          const std::string& channel = "{slots: 64}") {
    return "pipeline: nats_rx\nchannels:\n  @: " + channel +
        "\ntransports:\n  mirror: {plugin: nats, channel: @, direction: in, config: {" + nats +
        "}}\nconsumers:\n  rec: {plugin: recorder, inputs: [@], config: {" + recorder + "}}\n";
}

std::string at(const std::string& url, const std::string& subject, const std::string& more = "") {
    return "url: \"" + url + "\", subject: " + subject + (more.empty() ? "" : ", " + more);
}

/// Reads the child's output until a line holds `text` (at most `timeout`); the lines read so far.
std::string read_until(ChildProcess& child, const std::string& text, std::chrono::milliseconds timeout = 20s) {
    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto line = child.read_line(200ms);
        if (!line) continue;
        seen += *line + "\n";
        if (line->find(text) != std::string::npos) return seen;
    }
    ADD_FAILURE() << "no line with '" << text << "' in " << timeout.count() << " ms:\n" << seen;
    return seen;
}

void expect_every_sequence_once(const std::vector<std::uint64_t>& sequences, std::uint64_t count) {
    ASSERT_EQ(sequences.size(), count);
    for (std::size_t i = 0; i < sequences.size(); ++i) ASSERT_EQ(sequences[i], i) << "record " << i;
}

void expect_strictly_rising(const std::vector<std::uint64_t>& sequences) {
    for (std::size_t i = 1; i < sequences.size(); ++i)
        ASSERT_GT(sequences[i], sequences[i - 1]) << "record " << i << " repeats or goes back";
}

class Nats : public ::testing::Test {
protected:
    void SetUp() override {
        if (!nats_server_present()) GTEST_SKIP();
    }
};

TEST_F(Nats, CoreFansOutToThreeReceivingPipelinesThatEachRecordEverySlot) {
    NatsServer server;
    PipelineFile publisher("nc_pub", publisher_yaml("rate_hz: 2000, count: 6000", at(server.url(), "lab1.ticks")), "nc_a");
    std::vector<std::unique_ptr<PipelineFile>> receivers;
    std::vector<ChildProcess> running;
    for (int i = 0; i < 3; ++i) {
        const std::string tag = "nc_rx" + std::to_string(i);
        receivers.push_back(std::make_unique<PipelineFile>(tag, receiver_yaml(at(server.url(), "lab1.ticks")), tag));
        running.push_back(ChildProcess::spawn({pylabhub_exe(), "run", receivers.back()->path()}));
    }
    // Core NATS keeps nothing: each receiver subscribes before the data flows.
    for (auto& r : running) read_until(r, "waiting for the stream");
    const Outcome sent = pylabhub({"run", publisher.path()}, 60s);
    ASSERT_EQ(sent.exit_code, 0) << sent.output;
    EXPECT_EQ(number_after(sent.output, "publish\\.slots_sent = ([0-9]+)"), 6000U) << sent.output;
    for (int i = 0; i < 3; ++i) {
        const std::string output = running[static_cast<std::size_t>(i)].read_all(30s);
        ASSERT_EQ(running[static_cast<std::size_t>(i)].wait(10s), 0) << output;
        EXPECT_THAT(output, HasSubstr("the sender ended its stream"));
        EXPECT_THAT(output, ::testing::ContainsRegex("mirror \\(transport in\\) +6000 +[0-9.]+ +0 "))
            << "6000 read at a rate, no gaps, in the summary: " << output;
        EXPECT_EQ(number_after(output, "mirror\\.slots_received = ([0-9]+)"), 6000U) << output;
        // Loopback TCP and a client buffer of a million messages: at most once delivers everything here.
        expect_every_sequence_once(recorded_sequences(receivers[static_cast<std::size_t>(i)]->recording()), 6000);
        const Outcome verify = pylabhub({"verify", receivers[static_cast<std::size_t>(i)]->recording()});
        EXPECT_EQ(verify.exit_code, 0) << verify.output;
        EXPECT_THAT(verify.output, HasSubstr("gaps      0"));
    }
}

TEST_F(Nats, JetStreamLosesNothingWhenTheReceiverAndThenTheServerAreKilled) {
    NatsServer server;
    const std::string nats = at(server.url(), "lab1.js", "mode: jetstream, durable: kr, start: all, ack_wait: 2s");
    PipelineFile publisher(
        "nk_pub", publisher_yaml("rate_hz: 2000, count: 16000", at(server.url(), "lab1.js", "mode: jetstream, drain_timeout: 20s")),
        "nk_a");
    // Both runs of the receiver append to one recording, as after a crash.
    PipelineFile receiver("nk_rx", receiver_yaml(nats, "path: RECORDING, if_exists: append"), "nk_b");
    auto publishing = ChildProcess::spawn({pylabhub_exe(), "run", publisher.path()});
    {
        auto first = ChildProcess::spawn({pylabhub_exe(), "run", receiver.path()});
        wait_for_recording(receiver.recording(), 64 * 1024);
        std::this_thread::sleep_for(1s);
        first.kill_and_reap();
    }
    auto second = ChildProcess::spawn({pylabhub_exe(), "run", receiver.path()});
    std::this_thread::sleep_for(1500ms);
    server.kill();  // JetStream's store stays as the crash left it
    std::this_thread::sleep_for(1s);
    server.restart();
    const std::string sent = publishing.read_all(60s);
    EXPECT_EQ(publishing.wait(10s), 0) << sent;
    EXPECT_EQ(number_after(sent, "publish\\.slots_sent = ([0-9]+)"), 16000U) << "every slot confirmed by JetStream: " << sent;
    EXPECT_THAT(sent, HasSubstr("publish.reconnects")) << sent;
    const std::string received = second.read_all(60s);
    ASSERT_EQ(second.wait(10s), 0) << received;
    EXPECT_THAT(received, HasSubstr("mirror.reconnects")) << received;
    const auto sequences = recorded_sequences(receiver.recording());
    expect_strictly_rising(sequences);
    ASSERT_FALSE(sequences.empty());
    EXPECT_EQ(sequences.front(), 0U);
    EXPECT_EQ(sequences.back(), 15999U);
    const Outcome verify = pylabhub({"verify", receiver.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    // Within each run nothing is missing (the server's crash included); the
    // one hole is what the killed host's recorder had read but not yet
    // written, and verify names it.
    EXPECT_THAT(verify.output, HasSubstr("gaps      0")) << verify.output;
    const std::uint64_t missing = 16000 - sequences.size();
    EXPECT_THAT(verify.output, HasSubstr("restarts  1 (" + std::to_string(missing) + " slots not recorded across them")) << verify.output;
}

TEST_F(Nats, AReceiverStartedLateWithStartAllRecordsTheStreamFromSequenceZero) {
    NatsServer server;
    PipelineFile publisher("nl_pub", publisher_yaml("rate_hz: 1000, count: 7000", at(server.url(), "lab1.late", "mode: jetstream")),
                           "nl_a");
    PipelineFile receiver("nl_rx", receiver_yaml(at(server.url(), "lab1.late", "mode: jetstream, start: all")), "nl_b");
    auto publishing = ChildProcess::spawn({pylabhub_exe(), "run", publisher.path()});
    std::this_thread::sleep_for(5s);
    const Outcome received = pylabhub({"run", receiver.path()}, 60s);
    const std::string sent = publishing.read_all(30s);
    EXPECT_EQ(publishing.wait(10s), 0) << sent;
    ASSERT_EQ(received.exit_code, 0) << received.output;
    expect_every_sequence_once(recorded_sequences(receiver.recording()), 7000);
}

TEST_F(Nats, AFourMiBSlotCrossesAServerWithTheDefaultOneMiBMaxPayload) {
    NatsServer server;
    const std::uint64_t bytes = 4 * 1024 * 1024;
    PipelineFile publisher(
        "nb_pub",
        publisher_yaml("rate_hz: 0, count: 12, payload_bytes: " + std::to_string(bytes), at(server.url(), "lab1.frames", "mode: jetstream"),
                       "{slots: 4, slot_bytes: 4MiB, sync: single_reader}"),
        "nb_a");
    PipelineFile receiver(
        "nb_rx", receiver_yaml(at(server.url(), "lab1.frames", "mode: jetstream, start: all"), "path: RECORDING", "{slots: 4}"), "nb_b");
    const Outcome sent = pylabhub({"run", publisher.path()}, 60s);
    ASSERT_EQ(sent.exit_code, 0) << sent.output;
    const Outcome received = pylabhub({"run", receiver.path()}, 60s);
    ASSERT_EQ(received.exit_code, 0) << received.output;
    // The counter's pattern sampled across every part boundary.
    EXPECT_EQ(check_counter_recording(receiver.recording(), bytes, 12, 65521), "");
}

TEST_F(Nats, AClusterReceiverWhoseNodeDiesReconnectsToAnotherAndLosesNothing) {
    NatsCluster cluster;
    const std::string publish = at(cluster.node(0).url(), "lab1.cluster", "mode: jetstream, replicas: 3, drain_timeout: 20s");
    PipelineFile publisher("ncl_pub", publisher_yaml("rate_hz: 1000, count: 9000", publish), "ncl_a");
    PipelineFile on_two("ncl_rx2",
                        receiver_yaml(at(cluster.node(1).url() + "," + cluster.node(0).url(), "lab1.cluster",
                                         "mode: jetstream, durable: two, start: all, ack_wait: 2s")),
                        "ncl_b");
    PipelineFile on_three("ncl_rx3",
                          receiver_yaml(at(cluster.node(2).url(), "lab1.cluster", "mode: jetstream, durable: three, start: all")), "ncl_c");
    auto publishing = ChildProcess::spawn({pylabhub_exe(), "run", publisher.path()});
    auto two = ChildProcess::spawn({pylabhub_exe(), "run", on_two.path()});
    auto three = ChildProcess::spawn({pylabhub_exe(), "run", on_three.path()});
    wait_for_recording(on_two.recording(), 64 * 1024);
    std::this_thread::sleep_for(2s);
    cluster.node(1).kill();
    const std::string sent = publishing.read_all(90s);
    EXPECT_EQ(publishing.wait(10s), 0) << sent;
    const std::string received_two = two.read_all(60s);
    ASSERT_EQ(two.wait(10s), 0) << received_two;
    EXPECT_THAT(received_two, HasSubstr("reconnected to " + cluster.node(0).url())) << received_two;
    const std::string received_three = three.read_all(60s);
    ASSERT_EQ(three.wait(10s), 0) << received_three;
    expect_every_sequence_once(recorded_sequences(on_two.recording()), 9000);
    expect_every_sequence_once(recorded_sequences(on_three.recording()), 9000);
}

std::string shipped(const std::string& name) {
    std::ifstream in(std::string(PLH_CONFIGS_DIR) + "/nats/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
    return text;
}

TEST_F(Nats, TheShippedPublisherAndReceiverPipelinesWorkAgainstTheShippedServerConfig) {
    NatsServer server;  // configs/nats/nats-server.conf
    std::string publisher = replaced(shipped("publisher.yaml"), "nats://127.0.0.1:4222", server.url());
    publisher = replaced(replaced(replaced(publisher, "  ticks:", "  @:"), "channel: ticks", "channel: @"), "count: 10000", "count: 2000");
    std::string receiver = replaced(shipped("receiver.yaml"), "nats://127.0.0.1:4222", server.url());
    receiver = replaced(replaced(receiver, "ticks_lab1", "@"), "/tmp/nats_receiver.plhrec", "RECORDING");
    PipelineFile pub("nsh_pub", publisher, "nsh_a");
    PipelineFile rx("nsh_rx", receiver, "nsh_b");
    const Outcome sent = pylabhub({"run", pub.path()}, 60s);
    ASSERT_EQ(sent.exit_code, 0) << sent.output;
    const Outcome received = pylabhub({"run", rx.path()}, 60s);  // after the publisher: start: all replays it
    ASSERT_EQ(received.exit_code, 0) << received.output;
    expect_every_sequence_once(recorded_sequences(rx.recording()), 2000);
}

TEST_F(Nats, AStreamWhoseSchemaALocalConsumerCannotReadIsRefusedNamingBothHashes) {
    NatsServer server;
    PipelineFile publisher("nsc_pub", publisher_yaml("rate_hz: 0, count: 100", at(server.url(), "lab1.schema", "mode: jetstream")),
                           "nsc_a");
    ASSERT_EQ(pylabhub({"run", publisher.path()}, 30s).exit_code, 0);
    PipelineFile receiver("nsc_rx",
                          "pipeline: typed\nplugin_path: " PLH_TEST_PLUGIN_DIR
                          "\nchannels:\n  @: {slots: 64}\ntransports:\n"
                          "  mirror: {plugin: nats, channel: @, direction: in, config: {" +
                              at(server.url(), "lab1.schema", "mode: jetstream, start: all") +
                              "}}\nconsumers:\n  temps: {plugin: temperature-reader, inputs: [@]}\n",
                          "nsc_b");
    const Outcome refused = pylabhub({"run", receiver.path()}, 30s);
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_THAT(refused.output,
                ::testing::ContainsRegex("consumer 'temps' cannot read channel '" + receiver.channel() +
                                         "': schema mismatch \\(layouts differ\\): expected 'lab.Temperature' v1.0.0 hash "
                                         "[0-9a-f]{16,}, found 'pylabhub.counter' v[0-9.]+ hash [0-9a-f]{16,}"))
        << refused.output;
}

TEST_F(Nats, WrongCredentialsStopTheHostWithTheTransportAndTheServerNamed) {
    NatsServer server({"--user", "lab", "--pass", "right-secret"});
    const auto dir = std::filesystem::temp_directory_path() / ("plh-nats-creds-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "wrong") << "not-the-secret\n";
    std::ofstream(dir / "right") << "right-secret\n";
    PipelineFile wrong("nw_rx", receiver_yaml(at(server.url(), "lab1.auth", "user: lab, password_file: " + (dir / "wrong").string())),
                       "nw_a");
    const Outcome refused = pylabhub({"run", wrong.path()}, 30s);
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("mirror"));
    EXPECT_THAT(refused.output, HasSubstr("the NATS server at " + server.url() + " refused the login"));
    PipelineFile right(
        "nr_pub",
        publisher_yaml("rate_hz: 0, count: 100", at(server.url(), "lab1.auth", "user: lab, password_file: " + (dir / "right").string())),
        "nr_a");
    const Outcome let_in = pylabhub({"run", right.path()}, 30s);
    EXPECT_EQ(let_in.exit_code, 0) << let_in.output;
    std::filesystem::remove_all(dir);
}

TEST_F(Nats, AServerThatIsNotThereFailsTheStartAfterConnectTimeout) {
    const std::string url = "nats://127.0.0.1:" + std::to_string(free_tcp_port());
    PipelineFile file("nu_rx", receiver_yaml(at(url, "lab1.none", "connect_timeout: 1s")), "nu_a");
    const auto started = std::chrono::steady_clock::now();
    const Outcome run = pylabhub({"run", file.path()}, 30s);
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("no NATS server answers at " + url));
    EXPECT_GE(std::chrono::steady_clock::now() - started, 1s) << "it kept trying for connect_timeout";
}

TEST_F(Nats, AWildcardSubjectOnAnOutboundTransportAndOtherBadSettingsAreRefusedBeforeAnythingStarts) {
    NatsServer server;
    PipelineFile wildcard("nv_pub", publisher_yaml("count: 10", at(server.url(), "lab1.*")), "nv_a");
    const Outcome run = pylabhub({"run", wildcard.path()}, 30s);
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("subject 'lab1.*': it has the wildcard '*': an outbound transport publishes to one subject"));
    PipelineFile mode("nm_rx", receiver_yaml(at(server.url(), "lab1.x", "mode: exactly_once")), "nm_a");
    EXPECT_THAT(pylabhub({"run", mode.path()}, 30s).output, HasSubstr("mode: 'exactly_once' is neither 'core'"));
    PipelineFile start("ns_rx", receiver_yaml(at(server.url(), "lab1.x", "start: all")), "ns_a");
    EXPECT_THAT(pylabhub({"run", start.path()}, 30s).output, HasSubstr("start: only an inbound jetstream transport replays history"));
}

}  // namespace
}  // namespace pylabhub::test
