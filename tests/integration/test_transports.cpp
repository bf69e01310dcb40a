// Channels across machines: two real hosts (the "machines"), each with its
// own channel names, joined by the zmq transport over TCP on 127.0.0.1.
#include <csignal>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <mutex>
#include <regex>
#include <atomic>
#include <set>
#include <thread>

#include <poll.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zmq.hpp>

#include "child_process.hpp"
#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;

std::string endpoint(std::uint16_t port) { return "tcp://127.0.0.1:" + std::to_string(port); }

/// A sender pipeline: `producer_config` for the counter, one outbound transport.
std::string sender_yaml(const std::string& sync, const std::string& producer_config, const std::string& transport_config,
                        const std::string& extra = "") {
    return "pipeline: sender\n" + extra + "channels:\n  @: {slots: 64, slot_bytes: 4KiB, sync: " + sync +
        "}\nproducers:\n  gen: {plugin: counter, channel: @, config: {" + producer_config +
        "}}\ntransports:\n  uplink: {plugin: zmq, channel: @, direction: out, config: {" + transport_config + "}}\n";
}

/// A receiver pipeline: an inbound transport feeding a recorder.
std::string receiver_yaml(const std::string& transport_config, const std::string& recorder_config = "path: RECORDING",
                          const std::string& extra = "", const std::string& channel = "{slots: 64}") {
    return "pipeline: receiver\n" + extra + "channels:\n  @: " + channel +
        "\ntransports:\n  downlink: {plugin: zmq, channel: @, direction: in, config: {" + transport_config +
        "}}\nconsumers:\n  rec: {plugin: recorder, inputs: [@], config: {" + recorder_config + "}}\n";
}

/// Sequences must rise strictly: nothing recorded twice.
void expect_strictly_rising(const std::vector<std::uint64_t>& sequences) {
    for (std::size_t i = 1; i < sequences.size(); ++i) {
        ASSERT_GT(sequences[i], sequences[i - 1]) << "record " << i << " repeats or goes back";
    }
}

TEST(Transports, ALosslessChannelArrivesWholeAt1kHzWithTheSendersSequenceIds) {
    const std::uint16_t port = free_tcp_port();
    PipelineFile sender("tx_send", sender_yaml("single_reader", "rate_hz: 1000, count: 10000", "bind: \"" + endpoint(port) + "\""), "tx_a");
    PipelineFile receiver("tx_recv", receiver_yaml("connect: \"" + endpoint(port) + "\""), "tx_b");
    auto send = ChildProcess::spawn({pylabhub_exe(), "run", sender.path()});
    const Outcome received = pylabhub({"run", receiver.path()}, 60s);
    const std::string sent = send.read_all(30s);
    EXPECT_EQ(send.wait(10s), 0) << sent;
    ASSERT_EQ(received.exit_code, 0) << received.output;
    EXPECT_THAT(received.output, HasSubstr("the sender ended its stream"));
    const auto sequences = recorded_sequences(receiver.recording());
    ASSERT_EQ(sequences.size(), 10000U) << received.output;
    for (std::size_t i = 0; i < sequences.size(); ++i) ASSERT_EQ(sequences[i], i) << "record " << i;
    const Outcome verify = pylabhub({"verify", receiver.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_THAT(verify.output, HasSubstr("gaps      0"));
    EXPECT_EQ(number_after(sent, "uplink\\.slots_sent = ([0-9]+)"), 10000U) << sent;
}

TEST(Transports, ABurstAtTheHighestRateTheRingAllowsLosesNothing) {
    const std::uint16_t port = free_tcp_port();
    PipelineFile sender("burst_send", sender_yaml("single_reader", "rate_hz: 0, count: 200000", "bind: \"" + endpoint(port) + "\""),
                        "burst_a");
    PipelineFile receiver("burst_recv", receiver_yaml("connect: \"" + endpoint(port) + "\""), "burst_b");
    auto send = ChildProcess::spawn({pylabhub_exe(), "run", sender.path()});
    const Outcome received = pylabhub({"run", receiver.path()}, 90s);
    const std::string sent = send.read_all(60s);
    EXPECT_EQ(send.wait(10s), 0) << sent;
    ASSERT_EQ(received.exit_code, 0) << received.output;
    const auto sequences = recorded_sequences(receiver.recording());
    ASSERT_EQ(sequences.size(), 200000U);
    EXPECT_EQ(sequences.front(), 0U);
    EXPECT_EQ(sequences.back(), 199999U);
    expect_strictly_rising(sequences);
    EXPECT_LT(number_after(sent, "uplink\\.batches_sent = ([0-9]+)"), 200000U) << "small slots go in batches under load: " << sent;
}

TEST(Transports, SlotsLargerThanAFrameArriveByteForByte) {
    // 3 MiB + 5 bytes: three full 1 MiB frames and a short one per slot.
    const std::uint16_t port = free_tcp_port();
    const std::uint64_t bytes = 3 * 1024 * 1024 + 5;
    PipelineFile sender("large_send",
                        "pipeline: sender\nchannels:\n  @: {slots: 4, slot_bytes: " + std::to_string(bytes) +
                            ", sync: single_reader}\nproducers:\n  gen: {plugin: counter, channel: @, config: {rate_hz: 0, "
                            "count: 40, payload_bytes: " +
                            std::to_string(bytes) +
                            "}}\ntransports:\n  uplink: {plugin: zmq, channel: @, direction: out, config: {bind: \"" + endpoint(port) +
                            "\"}}\n",
                        "large_a");
    PipelineFile receiver("large_recv", receiver_yaml("connect: \"" + endpoint(port) + "\"", "path: RECORDING", "", "{slots: 4}"),
                          "large_b");
    auto send = ChildProcess::spawn({pylabhub_exe(), "run", sender.path()});
    const Outcome received = pylabhub({"run", receiver.path()}, 60s);
    send.read_all(30s);
    EXPECT_EQ(send.wait(10s), 0);
    ASSERT_EQ(received.exit_code, 0) << received.output;
    // The counter's own count is the sequence id; its pattern sampled across every frame boundary.
    EXPECT_EQ(check_counter_recording(receiver.recording(), bytes, 40, 4093), "");
}

TEST(Transports, AReceiverKilledAndRestartedResumesWithoutDuplicatesAndTheSenderGoesOn) {
    const std::uint16_t port = free_tcp_port();
    PipelineFile sender("kr_send", sender_yaml("single_reader", "rate_hz: 2000, count: 16000", "bind: \"" + endpoint(port) + "\""), "kr_a");
    // Both runs append to one recording, as after a crash: verify sees it whole.
    PipelineFile receiver(
        "kr_recv", receiver_yaml("connect: \"" + endpoint(port) + "\", peer_timeout: 1s", "path: RECORDING, if_exists: append"), "kr_b");
    auto send = ChildProcess::spawn({pylabhub_exe(), "run", sender.path()});
    {
        auto first = ChildProcess::spawn({pylabhub_exe(), "run", receiver.path()});
        wait_for_recording(receiver.recording(), 64 * 1024);
        std::this_thread::sleep_for(1s);
        first.kill_and_reap();
    }
    std::this_thread::sleep_for(500ms);
    const Outcome second = pylabhub({"run", receiver.path()}, 60s);
    const std::string sent = send.read_all(30s);
    EXPECT_EQ(send.wait(10s), 0) << "the sender never fails for its receiver: " << sent;
    ASSERT_EQ(second.exit_code, 0) << second.output;
    const auto sequences = recorded_sequences(receiver.recording());
    ASSERT_GT(sequences.size(), 1000U);
    expect_strictly_rising(sequences);
    EXPECT_EQ(sequences.back(), 15999U) << "the restarted receiver got the stream to its end";
    const Outcome verify = pylabhub({"verify", receiver.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_THAT(verify.output, HasSubstr("gaps      0")) << "within each run, nothing is missing: " << verify.output;
    // What the killed host had taken but not yet written (its recorder's
    // buffer) is the one hole, and verify says where.
    const std::uint64_t missing = 16000 - sequences.size();
    EXPECT_THAT(verify.output, HasSubstr("restarts  1 (" + std::to_string(missing) + " slots not recorded across them")) << verify.output;
}

TEST(Transports, ASenderKilledAndRestartedIsFollowedAsANewStreamWithoutDuplicates) {
    const std::uint16_t port = free_tcp_port();
    PipelineFile sender("ks_send", sender_yaml("single_reader", "rate_hz: 1000", "bind: \"" + endpoint(port) + "\""), "ks_a");
    PipelineFile receiver("ks_recv", receiver_yaml("connect: \"" + endpoint(port) + "\", peer_timeout: 1s"), "ks_b");
    auto first = ChildProcess::spawn({pylabhub_exe(), "run", sender.path()});
    wait_for_segment(sender.channel());
    auto receive = ChildProcess::spawn({pylabhub_exe(), "run", receiver.path()});
    wait_for_recording(receiver.recording(), 16 * 1024);
    std::this_thread::sleep_for(1s);
    first.kill_and_reap();
    std::this_thread::sleep_for(300ms);
    // The same pipeline again: it takes over its dead segment, ids going on.
    const Outcome second = pylabhub({"run", sender.path(), "--duration", "3"}, 60s);
    EXPECT_EQ(second.exit_code, 0) << second.output;
    const std::string received = receive.read_all(30s);
    EXPECT_EQ(receive.wait(10s), 0) << "the sender's END ends the receiver too: " << received;
    EXPECT_EQ(number_after(received, "downlink\\.stream_changes = ([0-9]+)"), 1U) << received;
    const auto sequences = recorded_sequences(receiver.recording());
    ASSERT_GT(sequences.size(), 2000U) << received;
    expect_strictly_rising(sequences);
    // What the killed sender had committed but not yet sent is lost with it:
    // a gap, and said as one by the receiver and by verify, never silent.
    const std::uint64_t missing = sequences.back() - sequences.front() + 1 - sequences.size();
    const Outcome verify = pylabhub({"verify", receiver.recording()});
    if (missing == 0) {
        EXPECT_EQ(verify.exit_code, 0) << verify.output;
    } else {
        EXPECT_THAT(verify.output, HasSubstr("(" + std::to_string(missing) + " slots missing)")) << verify.output;
        EXPECT_EQ(number_after(received, "downlink\\.gaps = ([0-9]+)"), missing) << received;
    }
}

/// A TCP forwarder on 127.0.0.1 whose connections the test can cut, as a
/// network would: both hosts stay up, the link goes away and comes back.
class CuttableLink {
public:
    CuttableLink(std::uint16_t listen_port, std::uint16_t target_port) : target_port_(target_port) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        const int yes = 1;
        ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        sockaddr_in address = loopback(listen_port);
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 8) != 0) {
            ADD_FAILURE() << "cannot listen on " << listen_port;
        }
        thread_ = std::thread([this] { run(); });
    }
    ~CuttableLink() {
        stop_ = true;
        thread_.join();
        cut();
        ::close(listener_);
    }
    /// Closes every connection now (new ones are forwarded again).
    void cut() {
        std::lock_guard lock(mutex_);
        for (auto [a, b] : pairs_) {
            ::close(a);
            ::close(b);
        }
        pairs_.clear();
        ++cuts_;
    }
    int cuts() const { return cuts_; }

private:
    static sockaddr_in loopback(std::uint16_t port) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        return address;
    }
    void run() {
        char buffer[65536];
        while (!stop_) {
            std::vector<pollfd> fds{{listener_, POLLIN, 0}};
            {
                std::lock_guard lock(mutex_);
                for (auto [a, b] : pairs_) {
                    fds.push_back({a, POLLIN, 0});
                    fds.push_back({b, POLLIN, 0});
                }
            }
            if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
            std::lock_guard lock(mutex_);
            if ((fds[0].revents & POLLIN) != 0) {
                const int client = ::accept(listener_, nullptr, nullptr);
                const int server = ::socket(AF_INET, SOCK_STREAM, 0);
                sockaddr_in target = loopback(target_port_);
                if (client >= 0 && ::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0) {
                    pairs_.emplace_back(client, server);
                } else {
                    if (client >= 0) ::close(client);
                    ::close(server);
                }
            }
            for (std::size_t i = 1; i < fds.size(); ++i) {
                if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
                auto pair =
                    std::find_if(pairs_.begin(), pairs_.end(), [&](auto& p) { return p.first == fds[i].fd || p.second == fds[i].fd; });
                if (pair == pairs_.end()) continue;  // cut meanwhile
                const int to = pair->first == fds[i].fd ? pair->second : pair->first;
                const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
                if (n <= 0 || ::write(to, buffer, static_cast<std::size_t>(n)) != n) {
                    ::close(pair->first);
                    ::close(pair->second);
                    pairs_.erase(pair);
                }
            }
        }
    }

    std::uint16_t target_port_;
    int listener_ = -1;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<std::pair<int, int>> pairs_;
    std::atomic<int> cuts_{0};
    std::thread thread_;
};

TEST(Transports, ALinkCutMidStreamResumesWithEverySlotOnceWhileBothHostsStayUp) {
    const std::uint16_t sender_port = free_tcp_port();
    const std::uint16_t link_port = free_tcp_port();
    CuttableLink link(link_port, sender_port);
    PipelineFile sender(
        "cut_send",
        sender_yaml("single_reader", "rate_hz: 2000, count: 12000", "bind: \"" + endpoint(sender_port) + "\", peer_timeout: 1s"), "cut_a");
    PipelineFile receiver("cut_recv", receiver_yaml("connect: \"" + endpoint(link_port) + "\", peer_timeout: 1s"), "cut_b");
    auto send = ChildProcess::spawn({pylabhub_exe(), "run", sender.path()});
    auto receive = ChildProcess::spawn({pylabhub_exe(), "run", receiver.path()});
    wait_for_recording(receiver.recording(), 64 * 1024);
    link.cut();
    std::this_thread::sleep_for(1500ms);
    link.cut();  // whatever reconnected meanwhile goes too
    const std::string received = receive.read_all(60s);
    EXPECT_EQ(receive.wait(10s), 0) << received;
    const std::string sent = send.read_all(30s);
    EXPECT_EQ(send.wait(10s), 0) << sent;
    const auto sequences = recorded_sequences(receiver.recording());
    ASSERT_EQ(sequences.size(), 12000U) << received;
    for (std::size_t i = 0; i < sequences.size(); ++i) ASSERT_EQ(sequences[i], i) << "record " << i;
    EXPECT_GE(number_after(received, "downlink\\.reconnects = ([0-9]+)"), 1U) << received;
}

TEST(Transports, ALatestOnlyChannelOverAThrottledLinkDropsWithGapsAndNeverHoldsTheProducer) {
    const std::uint16_t port = free_tcp_port();
    PipelineFile sender("lo_send", sender_yaml("latest_only", "rate_hz: 0", "bind: \"" + endpoint(port) + "\""), "lo_a");
    // A window of 4 slots: the link takes far less than the producer makes.
    PipelineFile receiver("lo_recv", receiver_yaml("connect: \"" + endpoint(port) + "\", window_slots: 4"), "lo_b");
    auto receive = ChildProcess::spawn({pylabhub_exe(), "run", receiver.path()});
    std::this_thread::sleep_for(300ms);
    const Outcome sent = pylabhub({"run", sender.path(), "--duration", "3"}, 60s);
    const std::string received = receive.read_all(30s);
    EXPECT_EQ(receive.wait(10s), 0) << received;
    ASSERT_EQ(sent.exit_code, 0) << sent.output;
    EXPECT_EQ(number_after(sent.output, "gen +[0-9]+ +[0-9.]+ +([0-9]+)"), 0U) << "the producer never waited: " << sent.output;
    EXPECT_GT(number_after(sent.output, "uplink\\.dropped = ([0-9]+)"), 0U) << sent.output;
    EXPECT_GT(number_after(received, "downlink\\.gaps = ([0-9]+)"), 0U) << "every drop is a gap at the receiver: " << received;
    const auto sequences = recorded_sequences(receiver.recording());
    ASSERT_GT(sequences.size(), 10U);
    expect_strictly_rising(sequences);
    const Outcome verify = pylabhub({"verify", receiver.recording()});
    EXPECT_EQ(verify.exit_code, 0) << "gaps are expected on latest_only: " << verify.output;
}

TEST(Transports, TheReceiverFindsTheSenderByChannelNameThroughABrokerOnTcp) {
    const std::string broker = endpoint(free_tcp_port());
    auto broker_process = ChildProcess::spawn({pylabhub_exe(), "broker", "--bind", broker});
    ASSERT_TRUE(broker_process.read_line(10s).has_value());
    const std::string extra = "broker: \"" + broker + "\"\n";
    PipelineFile sender("disc_send", sender_yaml("single_reader", "rate_hz: 1000, count: 3000", "bind: \"tcp://127.0.0.1:*\"", extra),
                        "disc_a");
    PipelineFile receiver("disc_recv", receiver_yaml("remote: " + sender.channel(), "path: RECORDING", extra), "disc_b");
    auto send = ChildProcess::spawn({pylabhub_exe(), "run", sender.path()});
    auto receive = ChildProcess::spawn({pylabhub_exe(), "run", receiver.path()});
    wait_for_recording(receiver.recording(), 1024);
    const Outcome channels = pylabhub({"channels", "--broker", broker});
    EXPECT_EQ(channels.exit_code, 0) << channels.output;
    EXPECT_THAT(channels.output, HasSubstr("reachable over the network")) << channels.output;
    EXPECT_THAT(channels.output, ::testing::ContainsRegex(sender.channel() + " +tcp://127\\.0\\.0\\.1:[0-9]+")) << channels.output;
    const std::string received = receive.read_all(30s);
    EXPECT_EQ(receive.wait(10s), 0) << received;
    EXPECT_THAT(received, HasSubstr("is advertised at tcp://127.0.0.1:"));
    EXPECT_EQ(recorded_sequences(receiver.recording()).size(), 3000U) << received;
    send.read_all(30s);
    EXPECT_EQ(send.wait(10s), 0);
}

/// CurveZMQ keys made with `pylabhub keygen` in a fresh directory.
struct Keys {
    std::filesystem::path directory = std::filesystem::temp_directory_path() / ("plh-keys-" + std::to_string(::getpid()));
    Keys() {
        std::filesystem::remove_all(directory);
        std::filesystem::create_directories(directory);
        for (const char* name : {"sender", "receiver", "stranger"}) {
            const Outcome made = pylabhub({"keygen", (directory / name).string()});
            EXPECT_EQ(made.exit_code, 0) << made.output;
        }
    }
    ~Keys() { std::filesystem::remove_all(directory); }
    std::string file(const char* name) const { return (directory / name).string(); }
};

TEST(Transports, CurveZmqStreamsWithTheRightKeysAndNothingWithAWrongOne) {
    const Keys keys;
    const std::uint16_t port = free_tcp_port();
    PipelineFile sender("curve_send",
                        sender_yaml("single_reader", "rate_hz: 1000",
                                    "bind: \"" + endpoint(port) + "\", curve_secret: " + keys.file("sender.key") + ", curve_clients: [" +
                                        keys.file("receiver.pub") + "]"),
                        "curve_a");
    auto send = ChildProcess::spawn({pylabhub_exe(), "run", sender.path(), "--duration", "12"});
    {
        PipelineFile right("curve_right",
                           receiver_yaml("connect: \"" + endpoint(port) + "\", curve_secret: " + keys.file("receiver.key") +
                                         ", curve_server: " + keys.file("sender.pub")),
                           "curve_b");
        const Outcome received = pylabhub({"run", right.path(), "--duration", "1"}, 30s);
        EXPECT_EQ(received.exit_code, 0) << received.output;
        EXPECT_GT(recorded_sequences(right.recording()).size(), 100U) << received.output;
    }
    for (const auto& [client, server] : {std::pair{"stranger.key", "sender.pub"}, std::pair{"receiver.key", "stranger.pub"}}) {
        PipelineFile wrong("curve_wrong",
                           receiver_yaml("connect: \"" + endpoint(port) + "\", curve_secret: " + keys.file(client) +
                                         ", curve_server: " + keys.file(server)),
                           "curve_c");
        auto receive = ChildProcess::spawn({pylabhub_exe(), "run", wrong.path()});
        std::this_thread::sleep_for(6s);  // its first "no sender answers" note comes after 5 s
        receive.signal(SIGTERM);
        const std::string output = receive.read_all(10s);
        EXPECT_EQ(receive.wait(10s), 1) << "nothing started: " << output;
        EXPECT_THAT(output, HasSubstr("no sender answers")) << client << " / " << server << ": " << output;
        EXPECT_THAT(output, HasSubstr("CurveZMQ")) << output;
        EXPECT_FALSE(std::filesystem::exists(wrong.recording())) << "no data with a wrong key";
    }
    send.signal(SIGINT);
    const std::string sent = send.read_all(30s);
    EXPECT_EQ(send.wait(10s), 0) << sent;
    EXPECT_THAT(sent, HasSubstr("not in curve_clients")) << "the sender says why it refused the stranger: " << sent;
    EXPECT_THAT(sent, HasSubstr("handshake")) << "and that a handshake failed for the wrong server key: " << sent;
}

TEST(Transports, ASlotLargerThanTheReceivingChannelIsRefusedAtSetUpNamingBoth) {
    const std::uint16_t port = free_tcp_port();
    PipelineFile sender("big_send", sender_yaml("single_reader", "rate_hz: 100", "bind: \"" + endpoint(port) + "\", drain_timeout: 1s"),
                        "big_a");
    PipelineFile receiver(
        "big_recv", receiver_yaml("connect: \"" + endpoint(port) + "\"", "path: RECORDING", "", "{slots: 8, slot_bytes: 64}"), "big_b");
    auto send = ChildProcess::spawn({pylabhub_exe(), "run", sender.path(), "--duration", "5"});
    const Outcome received = pylabhub({"run", receiver.path()}, 30s);
    EXPECT_EQ(received.exit_code, 1) << received.output;
    EXPECT_THAT(received.output, HasSubstr("transport 'downlink' from " + endpoint(port)));
    EXPECT_THAT(received.output, HasSubstr("the sender's slots are up to 4096 bytes, larger than this channel's slot_bytes 64"));
    send.signal(SIGINT);
    send.read_all(30s);
    EXPECT_EQ(send.wait(10s), 0);
}

TEST(Transports, ASenderRestartedWithAnotherSchemaStopsTheReceiverWithBothNamed) {
    const std::uint16_t port = free_tcp_port();
    PipelineFile first("schema_send", sender_yaml("single_reader", "rate_hz: 500, payload_bytes: 64", "bind: \"" + endpoint(port) + "\""),
                       "schema_a");
    PipelineFile other("schema_send2", sender_yaml("single_reader", "rate_hz: 500, payload_bytes: 128", "bind: \"" + endpoint(port) + "\""),
                       "schema_c");
    PipelineFile receiver("schema_recv", receiver_yaml("connect: \"" + endpoint(port) + "\", peer_timeout: 1s"), "schema_b");
    auto send = ChildProcess::spawn({pylabhub_exe(), "run", first.path()});
    auto receive = ChildProcess::spawn({pylabhub_exe(), "run", receiver.path()});
    wait_for_recording(receiver.recording(), 4096);
    send.kill_and_reap();
    auto again = ChildProcess::spawn({pylabhub_exe(), "run", other.path(), "--duration", "8"});
    const std::string received = receive.read_all(30s);
    EXPECT_EQ(receive.wait(10s), 4) << received;
    EXPECT_THAT(received, HasSubstr("restarted with schema")) << received;
    EXPECT_THAT(received, HasSubstr("restart this pipeline to take the new one")) << received;
    const Outcome verify = pylabhub({"verify", receiver.recording()});
    EXPECT_EQ(verify.exit_code, 0) << "what was committed before is kept: " << verify.output;
    again.signal(SIGINT);
    again.read_all(30s);
    std::filesystem::remove("/dev/shm/plh." + first.channel());  // left by the killed sender
}

TEST(Transports, GarbageOnThePortAndAnotherWireVersionAreRefusedWhileTheStreamGoesOn) {
    const std::uint16_t port = free_tcp_port();
    PipelineFile sender("junk_send", sender_yaml("single_reader", "rate_hz: 1000, count: 3000", "bind: \"" + endpoint(port) + "\""),
                        "junk_a");
    PipelineFile receiver("junk_recv", receiver_yaml("connect: \"" + endpoint(port) + "\""), "junk_b");
    auto send = ChildProcess::spawn({pylabhub_exe(), "run", sender.path()});
    auto receive = ChildProcess::spawn({pylabhub_exe(), "run", receiver.path()});
    wait_for_recording(receiver.recording(), 1024);
    {
        // Bytes that are no ZeroMQ greeting: ZeroMQ drops the connection.
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        const std::string junk(4096, '\x5a');
        EXPECT_GT(::write(fd, junk.data(), junk.size()), 0);
        ::close(fd);
    }
    {
        // A pyLabHub peer of another wire version: refused, and told why.
        zmq::context_t context;
        zmq::socket_t dealer(context, zmq::socket_type::dealer);
        dealer.set(zmq::sockopt::linger, 0);
        dealer.set(zmq::sockopt::rcvtimeo, 5000);
        dealer.connect(endpoint(port));
        const std::uint32_t magic = 0x54484C50;
        const std::uint16_t header[4] = {static_cast<std::uint16_t>(magic & 0xffff), static_cast<std::uint16_t>(magic >> 16), 99, 1};
        const std::uint64_t hello[4] = {~0ULL, 16, 1 << 20, 7};
        dealer.send(zmq::buffer(header, sizeof header), zmq::send_flags::sndmore);
        dealer.send(zmq::buffer(hello, sizeof hello), zmq::send_flags::none);
        zmq::message_t reply_header;
        zmq::message_t reason;
        ASSERT_TRUE(dealer.recv(reply_header).has_value()) << "a refusal comes back";
        ASSERT_TRUE(reply_header.more());
        ASSERT_TRUE(dealer.recv(reason).has_value());
        EXPECT_THAT(reason.to_string(), HasSubstr("wire version 99, this side speaks 1"));
    }
    const std::string received = receive.read_all(30s);
    EXPECT_EQ(receive.wait(10s), 0) << received;
    const std::string sent = send.read_all(30s);
    EXPECT_EQ(send.wait(10s), 0) << sent;
    EXPECT_THAT(sent, HasSubstr("wire version 99, this side speaks 1")) << sent;
    const auto sequences = recorded_sequences(receiver.recording());
    EXPECT_EQ(sequences.size(), 3000U) << "nothing lost to the junk: " << received;
}

TEST(Transports, ValidateChecksTransportsLikeEveryOtherComponent) {
    PipelineFile file("tx_bad", R"(pipeline: bad
channels:
  @: {slots: 8}
producers:
  gen: {plugin: counter, channel: @}
transports:
  nodir: {plugin: zmq, channel: @, config: {bind: "tcp://127.0.0.1:*"}}
  twice: {plugin: zmq, channel: @, direction: in, config: {connect: "tcp://127.0.0.1:1"}}
  wrongkind: {plugin: counter, channel: @, direction: out}
  typo: {plugin: zmq, channel: @, direction: sideways}
)",
                      "tx_bad");
    const Outcome validate = pylabhub({"validate", file.path()});
    EXPECT_EQ(validate.exit_code, 1);
    EXPECT_THAT(validate.output, ::testing::ContainsRegex(":7:[0-9]+: transport 'nodir' has no 'direction:'"));
    EXPECT_THAT(validate.output, ::testing::ContainsRegex(":8:[0-9]+: channel '" + file.channel() + "' already has writer 'gen'"));
    EXPECT_THAT(validate.output, HasSubstr("plugin 'counter' is a producer plugin, not a transport"));
    EXPECT_THAT(validate.output, HasSubstr("direction: 'sideways' is not one of out in"));
}

}  // namespace
}  // namespace pylabhub::test
