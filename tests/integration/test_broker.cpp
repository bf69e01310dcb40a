// A real broker process (`pylabhub broker`) and the client over real
// ZeroMQ sockets: ipc:// and tcp on 127.0.0.1.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zmq.hpp>

#include "child_process.hpp"
#include "pylabhub/messagehub/client.hpp"
#include "pylabhub/messagehub/curve.hpp"
#include "pylabhub/platform/clock.hpp"

namespace pylabhub::messagehub {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using ::testing::HasSubstr;

std::string endpoint() { return "ipc:///tmp/plh-test-broker-" + std::to_string(::getpid()) + ".ipc"; }

ChildProcess start_broker(const std::string& at) {
    auto broker = ChildProcess::spawn({PLH_PYLABHUB_EXE, "broker", "--bind", at});
    // Ready when it answers.
    Client probe(at, 200ms);
    for (int i = 0; i < 50 && !probe.list(); ++i) std::this_thread::sleep_for(20ms);
    return broker;
}

ChannelRecord record(const std::string& channel, const std::string& hash) {
    ChannelRecord r;
    r.channel = channel;
    r.shm_name = "/plh." + channel;
    r.secret_hex = std::string(64, 'a');
    r.schema_name = "lab.Sample";
    r.schema_version = "1.0.0";
    r.schema_hash = hash;
    r.schema_blds = "{a@0:u64}#8";
    r.producer_pid = static_cast<std::uint64_t>(::getpid());
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    r.producer_host = host;
    return r;
}

TEST(Broker, RegisterDiscoverDeregisterCarrySchemaHashAndVersionEndToEnd) {
    auto broker = start_broker(endpoint());
    Client producer(endpoint());
    Client consumer(endpoint());
    ChannelRecord sensor = record("sensor", std::string(64, '1'));
    ASSERT_TRUE(producer.register_producer(sensor).has_value());
    EXPECT_EQ(sensor.token.size(), 32U) << "the broker's proof of ownership";
    auto found = consumer.discover("sensor", std::string(64, '1'), "lab.Sample");
    ASSERT_TRUE(found.has_value()) << found.error().message;
    EXPECT_EQ(found->shm_name, "/plh.sensor");
    EXPECT_EQ(found->schema_version, "1.0.0");
    EXPECT_EQ(found->schema_hash, std::string(64, '1'));
    EXPECT_EQ(found->secret_hex, std::string(64, 'a'));

    auto mismatch = consumer.discover("sensor", std::string(64, '2'), "lab.Other");
    ASSERT_FALSE(mismatch.has_value());
    EXPECT_EQ(mismatch.error().code, ErrorCode::mismatch);
    EXPECT_THAT(mismatch.error().message, HasSubstr(std::string(64, '1')));
    EXPECT_THAT(mismatch.error().message, HasSubstr(std::string(64, '2')));
    EXPECT_THAT(mismatch.error().message, HasSubstr("'lab.Other'"));
    EXPECT_THAT(mismatch.error().message, HasSubstr("'lab.Sample'"));

    EXPECT_FALSE(consumer.deregister("sensor", std::string(32, '0')).has_value()) << "a guessed token deregisters nothing";
    ASSERT_TRUE(producer.deregister("sensor", sensor.token).has_value());
    EXPECT_FALSE(consumer.discover("sensor").has_value());
    broker.signal(SIGTERM);
    EXPECT_EQ(broker.wait(5s), 0) << "stops cleanly on SIGTERM";
}

TEST(Broker, MalformedInputGetsAnErrorReplyAndTheBrokerKeepsServing) {
    auto broker = start_broker(endpoint());
    Client client(endpoint());
    const std::vector<std::string> requests = {"{oops",
                                               R"({"type":"NOPE_REQ"})",
                                               R"({"type":"DISC_REQ","channel":1})",
                                               std::string(2 << 20, 'x'),
                                               "\xff",
                                               "\xc3\xa9",
                                               R"({"type":"LIST_REQ"})"
                                               "\xff",
                                               R"({"type":"LIST_REQ","id":)" + std::string(100'000, '[') + std::string(100'000, ']') + "}"};
    for (const std::string& bad : requests) {
        auto reply = client.request(bad);
        ASSERT_TRUE(reply.has_value()) << reply.error().message;
        EXPECT_THAT(*reply, HasSubstr("\"status\":\"error\""));
    }
    EXPECT_TRUE(client.list().has_value()) << "still serving";
}

TEST(Broker, ARequestStormFromOneClientIsRefusedBeyondItsBudgetAndOthersAreServed) {
    auto broker = start_broker(endpoint());
    zmq::context_t context;
    zmq::socket_t storm(context, zmq::socket_type::dealer);
    storm.set(zmq::sockopt::linger, 0);
    storm.set(zmq::sockopt::sndhwm, 0);
    storm.set(zmq::sockopt::rcvhwm, 0);
    storm.connect(endpoint());
    constexpr int kStorm = 40'000;  // four seconds' worth of budget, sent at once
    for (int i = 0; i < kStorm; ++i) {
        const std::string request = R"({"id":)" + std::to_string(i) + R"(,"type":"LIST_REQ"})";
        storm.send(zmq::message_t(), zmq::send_flags::sndmore);
        storm.send(zmq::buffer(request), zmq::send_flags::none);
    }
    // Another client is answered meanwhile (ZeroMQ takes requests from its
    // clients in turn; the storm's excess costs the broker no parsing).
    Client other(endpoint(), 2000ms);
    auto listed = other.list();
    EXPECT_TRUE(listed.has_value()) << listed.error().message;
    int refused = 0, answered = 0;
    zmq::pollitem_t item{storm.handle(), 0, ZMQ_POLLIN, 0};
    while (answered + refused < kStorm && zmq::poll(&item, 1, std::chrono::milliseconds(2000)) > 0) {
        zmq::message_t delimiter, payload;
        if (!storm.recv(delimiter) || !storm.recv(payload)) break;
        const std::string reply = payload.to_string();
        if (reply.find("\"rate_limited\"") != std::string::npos) {
            ++refused;
            EXPECT_THAT(reply, ::testing::ContainsRegex("\"id\":[0-9]+")) << "a refusal names the request it refuses";
        } else {
            ++answered;
        }
    }
    // (A client that does not read its replies loses some to ZeroMQ's
    // send limit at the broker: what matters is what each reply says.)
    EXPECT_GT(refused, 0) << "more than a second's budget arrived within a second";
    EXPECT_GT(answered, 0);
    EXPECT_TRUE(other.list().has_value()) << "and the broker still serves";
}

TEST(Broker, ANonLoopbackTcpBrokerWithoutCurveIsRefusedUnlessInsecure) {
    // Refused before anything binds: no socket beyond loopback is opened here.
    auto broker = ChildProcess::spawn({PLH_PYLABHUB_EXE, "broker", "--bind", "tcp://0.0.0.0:5999"});
    const std::string output = broker.read_all(10s);
    EXPECT_EQ(broker.wait(5s), 2) << output;
    EXPECT_THAT(output, HasSubstr("is reachable from other machines, and without --curve-secret"));
    EXPECT_THAT(output, HasSubstr("--insecure"));
}

TEST(Broker, AnUnreachableBrokerIsAClearErrorWithinTheTimeout) {
    Client client("ipc:///tmp/plh-test-nobody-" + std::to_string(::getpid()) + ".ipc", 300ms);
    const std::uint64_t start = platform::monotonic_time_ns();
    auto listed = client.list();
    const double waited_ms = double(platform::monotonic_time_ns() - start) / 1e6;
    ASSERT_FALSE(listed.has_value());
    EXPECT_EQ(listed.error().code, ErrorCode::timeout);
    EXPECT_THAT(listed.error().message, HasSubstr("is 'pylabhub broker' running?"));
    EXPECT_LT(waited_ms, 5000) << "no hang";
}

TEST(Broker, ClientsCarryOnAfterABrokerRestartAndReRegister) {
    const std::string at = "tcp://127.0.0.1:" + std::to_string(20000 + ::getpid() % 20000);
    auto broker = std::make_optional(start_broker(at));
    Client client(at, 1000ms);
    ChannelRecord cam = record("cam", "");
    ASSERT_TRUE(client.register_producer(cam).has_value());
    broker.reset();  // killed: its registry is gone
    broker.emplace(start_broker(at));
    auto lost = client.discover("cam");
    ASSERT_FALSE(lost.has_value()) << "the new broker starts empty";
    cam.token.clear();  // the new broker never issued it
    ASSERT_TRUE(client.register_producer(cam).has_value()) << "the same client, reconnected";
    EXPECT_TRUE(client.discover("cam").has_value());
}

TEST(Broker, ChannelsCommandShowsTheRegistry) {
    auto broker = start_broker(endpoint());
    Client client(endpoint());
    ChannelRecord thermo = record("thermo", std::string(64, 'f'));
    ASSERT_TRUE(client.register_producer(thermo).has_value());
    auto listing = ChildProcess::spawn({PLH_PYLABHUB_EXE, "channels", "--broker", endpoint()});
    const std::string output = listing.read_all(10s);
    EXPECT_EQ(listing.wait(5s), 0) << output;
    EXPECT_THAT(output, ::testing::ContainsRegex("thermo +/plh.thermo +lab.Sample 1.0.0 +" + std::to_string(::getpid())));
    EXPECT_THAT(output, HasSubstr("1 channel at " + endpoint()));
}

class Curve : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = std::filesystem::temp_directory_path() / ("plh-curve-" + std::to_string(::getpid()));
        std::filesystem::create_directories(directory_);
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    std::string keygen(const std::string& name) {
        auto child = ChildProcess::spawn({PLH_PYLABHUB_EXE, "keygen", (directory_ / name).string()});
        const std::string output = child.read_all(10s);
        EXPECT_EQ(child.wait(5s), 0) << output;
        return (directory_ / name).string();
    }
    std::filesystem::path directory_;
};

TEST_F(Curve, KeygenWritesAPublicAndAPrivateFileAndNeverOverwrites) {
    const std::string base = keygen("broker");
    using std::filesystem::perms;
    EXPECT_EQ(std::filesystem::status(base + ".key").permissions() & perms::all, perms::owner_read | perms::owner_write);
    EXPECT_TRUE(read_curve_key(base + ".pub").has_value());
    EXPECT_TRUE(read_curve_key(base + ".key").has_value());
    EXPECT_EQ(curve_public_of(*read_curve_key(base + ".key")).value(), *read_curve_key(base + ".pub"));
    auto again = ChildProcess::spawn({PLH_PYLABHUB_EXE, "keygen", base});
    EXPECT_THAT(again.read_all(10s), HasSubstr("not overwritten"));
    EXPECT_EQ(again.wait(5s), 1);
}

TEST_F(Curve, ABrokerWithKeysServesOnlyClientsWithItsPublicKey) {
    const std::string server = keygen("broker");
    const std::string client = keygen("client");
    const std::string at = "tcp://127.0.0.1:" + std::to_string(40000 + ::getpid() % 20000);
    auto broker = ChildProcess::spawn({PLH_PYLABHUB_EXE, "broker", "--bind", at, "--curve-secret", server + ".key"});
    const CurveClientKeys right{*read_curve_key(server + ".pub"), *read_curve_key(client + ".key")};
    Client trusted(at, 1000ms, right);
    for (int i = 0; i < 50 && !trusted.list(); ++i) std::this_thread::sleep_for(20ms);
    ChannelRecord secure = record("secure", "");
    ASSERT_TRUE(trusted.register_producer(secure).has_value());
    EXPECT_TRUE(trusted.discover("secure").has_value());

    Client plain(at, 300ms);
    auto refused = plain.discover("secure");
    ASSERT_FALSE(refused.has_value()) << "no keys: no answer";
    EXPECT_THAT(refused.error().message, HasSubstr("does it require CurveZMQ keys"));
    Client impostor(at, 300ms, CurveClientKeys{*read_curve_key(client + ".pub"), *read_curve_key(client + ".key")});
    ChannelRecord fake = record("secure", "");
    EXPECT_FALSE(impostor.register_producer(fake).has_value()) << "the wrong server key: no answer";
    broker.signal(SIGTERM);
    EXPECT_EQ(broker.wait(5s), 0);
}

// Adversarial review (#19, finding 4): a freshly made key pair plus the
// broker's public key was enough to read every channel's secret. With an
// allow-list only the listed clients get an answer at all.
TEST_F(Curve, ABrokerWithAnAllowListServesOnlyTheListedClients) {
    const std::string server = keygen("server");
    const std::string trusted_key = keygen("trusted");
    const std::string stranger_key = keygen("stranger");
    const auto allowed = directory_ / "allowed";
    std::filesystem::create_directories(allowed);
    std::filesystem::copy_file(trusted_key + ".pub", allowed / "trusted.pub");
    const std::string at = "tcp://127.0.0.1:" + std::to_string(30000 + ::getpid() % 20000);
    auto broker =
        ChildProcess::spawn({PLH_PYLABHUB_EXE, "broker", "--bind", at, "--curve-secret", server + ".key", "--allow", allowed.string()});
    const std::string server_public = *read_curve_key(server + ".pub");
    Client trusted(at, 1000ms, CurveClientKeys{server_public, *read_curve_key(trusted_key + ".key")});
    for (int i = 0; i < 50 && !trusted.list(); ++i) std::this_thread::sleep_for(20ms);
    ChannelRecord secure = record("secure", "");
    ASSERT_TRUE(trusted.register_producer(secure).has_value()) << "a listed client is served";
    EXPECT_EQ(trusted.discover("secure")->secret_hex, std::string(64, 'a'));

    Client stranger(at, 500ms, CurveClientKeys{server_public, *read_curve_key(stranger_key + ".key")});
    auto refused = stranger.discover("secure");
    ASSERT_FALSE(refused.has_value()) << "a valid key pair that is not on the list gets nothing, not even the secret";
    EXPECT_EQ(refused.error().code, ErrorCode::timeout);
    broker.signal(SIGTERM);
    const std::string output = broker.read_all(10s);
    EXPECT_EQ(broker.wait(5s), 0) << output;
    EXPECT_THAT(output, HasSubstr("1 allowed client keys"));
    EXPECT_THAT(output, HasSubstr("refused CurveZMQ client " + *read_curve_key(stranger_key + ".pub")));

    auto without_curve = ChildProcess::spawn({PLH_PYLABHUB_EXE, "broker", "--bind", at, "--allow", allowed.string()});
    EXPECT_EQ(without_curve.wait(5s), 2) << "--allow without --curve-secret is a usage error";
}

}  // namespace
}  // namespace pylabhub::messagehub
