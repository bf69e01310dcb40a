// The broker's rules, without sockets.
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pylabhub/messagehub/registry.hpp"

namespace pylabhub::messagehub {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class RegistryTest : public ::testing::Test {
protected:
    std::uint64_t now = 1'000'000;
    std::set<std::uint64_t> alive{100, 200};
    Registry registry{RegistryOptions{5'000, "lab1", [this](std::uint64_t pid) { return alive.count(pid) > 0; }, [this] { return now; }}};

    json call(const json& request) { return json::parse(registry.handle(request.dump())); }
    std::map<std::string, std::string> tokens;  // channel -> the token its last registration got
    json reg(const std::string& channel, std::uint64_t pid, const std::string& host = "lab1", const std::string& token = "") {
        json request = {
            {"type", "REG_REQ"},     {"id", 1},
            {"channel", channel},    {"shm_name", "/plh." + channel},
            {"secret", "ab"},        {"producer_pid", pid},
            {"producer_host", host}, {"schema", {{"name", "lab.S"}, {"version", "1.0.0"}, {"hash", "h1"}, {"blds", "{a@0:u8}#1"}}}};
        if (!token.empty()) request["token"] = token;
        json reply = call(request);
        if (reply["status"] == "ok") tokens[channel] = reply["token"];
        return reply;
    }
    json owner_call(const std::string& type, const std::string& channel) {
        return call({{"type", type}, {"channel", channel}, {"token", tokens[channel]}});
    }
};

TEST_F(RegistryTest, RegisterDiscoverDeregisterRoundTripCarriesTheSchema) {
    EXPECT_EQ(reg("sensor", 100)["status"], "ok");
    const json found = call({{"type", "DISC_REQ"}, {"id", 2}, {"channel", "sensor"}});
    EXPECT_EQ(found["type"], "DISC_RESP");
    EXPECT_EQ(found["id"], 2);
    EXPECT_EQ(found["shm_name"], "/plh.sensor");
    EXPECT_EQ(found["secret"], "ab");
    EXPECT_EQ(found["schema"]["hash"], "h1");
    EXPECT_EQ(found["schema"]["version"], "1.0.0");
    const json schema = call({{"type", "GET_SCHEMA_REQ"}, {"channel", "sensor"}});
    EXPECT_EQ(schema["schema"]["blds"], "{a@0:u8}#1");
    EXPECT_FALSE(schema.contains("secret"));
    const json listed = call({{"type", "LIST_REQ"}});
    ASSERT_EQ(listed["channels"].size(), 1U);
    EXPECT_FALSE(listed["channels"][0].contains("secret")) << "a list never shows secrets";
    EXPECT_EQ(owner_call("DEREG_REQ", "sensor")["status"], "ok");
    const json gone = call({{"type", "DISC_REQ"}, {"channel", "sensor"}});
    EXPECT_EQ(gone["status"], "error");
    EXPECT_THAT(gone["message"].get<std::string>(), HasSubstr("no channel 'sensor' is registered"));
}

TEST_F(RegistryTest, ASecondLiveProducerIsRefusedAndARestartedOneReplacesItsEntry) {
    ASSERT_EQ(reg("sensor", 100)["status"], "ok");
    const json second = reg("sensor", 200);
    EXPECT_EQ(second["status"], "error");
    EXPECT_THAT(second["message"].get<std::string>(), HasSubstr("already has a live producer (pid 100 on lab1)"));
    EXPECT_EQ(reg("sensor", 100, "lab1", tokens["sensor"])["status"], "ok") << "its owner re-registers, with its token";
    alive.erase(100);  // the producer dies; a restarted one takes over
    EXPECT_EQ(reg("sensor", 200)["status"], "ok");
    EXPECT_EQ(call({{"type", "DISC_REQ"}, {"channel", "sensor"}})["producer_pid"], 200);
}

TEST_F(RegistryTest, DeadOrSilentProducersAreDropped) {
    ASSERT_EQ(reg("local", 100)["status"], "ok");
    ASSERT_EQ(reg("remote", 999, "lab2")["status"], "ok");  // another host's pid is not checked here
    alive.erase(100);
    auto dropped = registry.expire();
    ASSERT_EQ(dropped.size(), 1U);
    EXPECT_THAT(dropped[0], HasSubstr("local (producer pid 100 is dead)"));
    now += 4'000;
    EXPECT_EQ(owner_call("HEARTBEAT_REQ", "remote")["status"], "ok");
    now += 4'000;
    EXPECT_TRUE(registry.expire().empty()) << "the heartbeat kept it";
    now += 6'000;
    dropped = registry.expire();
    ASSERT_EQ(dropped.size(), 1U);
    EXPECT_THAT(dropped[0], HasSubstr("no heartbeat for 10 s"));
}

TEST_F(RegistryTest, MalformedRequestsGetAnErrorReplyNamingTheProblem) {
    struct Case {
        std::string request;
        std::string says;
    };
    const Case cases[] = {
        {"{not json", "not JSON"},
        {"[1,2]", "a request is a JSON object"},
        {R"({"id":1})", "field 'type' is missing"},
        {R"({"type":"FLY_REQ"})", "unknown request type 'FLY_REQ'"},
        {R"({"type":"REG_REQ","channel":"x"})", "REG_REQ: field 'shm_name' is missing"},
        {R"({"type":"REG_REQ","channel":"x","shm_name":"/plh.x","secret":"s","producer_pid":"7","producer_host":"h"})",
         "field 'producer_pid' must be a non-negative integer"},
        {R"({"type":"DISC_REQ","channel":5})", "field 'channel' must be a string"},
        {R"({"type":"REG_REQ","channel":"x","shm_name":"/plh.x","secret":"s","producer_pid":1,"producer_host":"h","schema":3})",
         "field 'schema' must be an object"},
        {std::string(kMaxRequestBytes + 1, ' '), "exceeds the limit"},
    };
    for (const auto& c : cases) {
        const json reply = json::parse(registry.handle(c.request));
        EXPECT_EQ(reply["status"], "error") << c.says;
        EXPECT_THAT(reply["message"].get<std::string>(), HasSubstr(c.says));
    }
    EXPECT_EQ(reg("still-serving", 100)["status"], "ok");
}

TEST_F(RegistryTest, NonUtf8BytesGetAValidJsonErrorReply) {
    const std::string requests[] = {"\xff", "\xe9",
                                    R"({"type":"LIST_REQ"})"
                                    "\xff",
                                    R"({"type":"DISC_REQ","channel":"x)"
                                    "\xe9\"}"};
    for (const std::string& bad : requests) {
        const std::string text = registry.handle(bad);
        const json reply = json::parse(text, nullptr, false);
        ASSERT_FALSE(reply.is_discarded()) << "the reply is valid JSON (UTF-8): " << text;
        EXPECT_EQ(reply["status"], "error");
    }
    EXPECT_EQ(reg("still-serving", 100)["status"], "ok");
}

TEST_F(RegistryTest, DeepNestingIsRefusedAndOnlyAScalarIdIsEchoed) {
    const std::string deep_id = R"({"type":"LIST_REQ","id":)" + std::string(100'000, '[') + std::string(100'000, ']') + "}";
    json reply = json::parse(registry.handle(deep_id));
    EXPECT_EQ(reply["status"], "error");
    EXPECT_THAT(reply["message"].get<std::string>(), HasSubstr("deeper than"));
    EXPECT_FALSE(reply.contains("id"));

    // Brackets inside strings do not count.
    reply = call({{"type", "DISC_REQ"}, {"id", "[[[[[[[[[[[[[[[[[[[[[[[["}, {"channel", "{{{{{{{{{{{{{{{{{{{{{{{{"}});
    EXPECT_THAT(reply["message"].get<std::string>(), HasSubstr("no channel"));
    EXPECT_EQ(reply["id"], "[[[[[[[[[[[[[[[[[[[[[[[[");

    reply = call({{"type", "LIST_REQ"}, {"id", {{"a", {1, 2}}}}});
    EXPECT_EQ(reply["status"], "ok");
    EXPECT_FALSE(reply.contains("id")) << "a structured id is not echoed";
    reply = call({{"type", "LIST_REQ"}, {"id", std::string(10'000, 'x')}});
    EXPECT_FALSE(reply.contains("id")) << "an overlong id is not echoed";
    reply = call({{"type", "LIST_REQ"}, {"id", 42}});
    EXPECT_EQ(reply["id"], 42);
}

TEST_F(RegistryTest, ConsumersAreListedWithTheirChannelAndDroppedWhenDead) {
    ASSERT_EQ(reg("sensor", 100)["status"], "ok");
    const json consumer = {
        {"type", "CONSUMER_REG_REQ"}, {"channel", "sensor"}, {"consumer_id", "rec"}, {"consumer_pid", 200}, {"consumer_host", "lab1"}};
    EXPECT_EQ(call(consumer)["status"], "ok");
    EXPECT_EQ(call(consumer)["status"], "ok") << "registering twice is one registration";
    json listed = call({{"type", "LIST_REQ"}});
    ASSERT_EQ(listed["channels"][0]["consumers"].size(), 1U);
    EXPECT_EQ(listed["channels"][0]["consumers"][0]["id"], "rec");
    EXPECT_EQ(reg("sensor", 100, "lab1", tokens["sensor"])["status"], "ok");
    EXPECT_EQ(call({{"type", "LIST_REQ"}})["channels"][0]["consumers"].size(), 1U) << "kept across re-registration";
    alive.erase(200);
    registry.expire();
    EXPECT_TRUE(call({{"type", "LIST_REQ"}})["channels"][0]["consumers"].empty());
    EXPECT_EQ(call({{"type", "CONSUMER_REG_REQ"},
                    {"channel", "nope"},
                    {"consumer_id", "x"},
                    {"consumer_pid", 1},
                    {"consumer_host", "h"}})["status"],
              "error");
}

TEST_F(RegistryTest, AConsumerWhoseHostStopsRepeatingItsRegistrationIsDropped) {
    const json consumer = {{"type", "CONSUMER_REG_REQ"},
                           {"channel", "sensor"},
                           {"consumer_id", "far"},
                           {"consumer_pid", 7},
                           {"consumer_host", "lab2"}};  // another host: no pid check
    ASSERT_EQ(reg("sensor", 100)["status"], "ok");
    ASSERT_EQ(call(consumer)["status"], "ok");
    auto consumers = [&] { return call({{"type", "LIST_REQ"}})["channels"][0]["consumers"].size(); };
    now += 4'000;
    ASSERT_EQ(owner_call("HEARTBEAT_REQ", "sensor")["status"], "ok");
    ASSERT_EQ(call(consumer)["status"], "ok") << "repeated: its heartbeat";
    now += 4'000;
    registry.expire();
    EXPECT_EQ(consumers(), 1U) << "repeated 4 s ago: still there";
    ASSERT_EQ(owner_call("HEARTBEAT_REQ", "sensor")["status"], "ok");
    now += 2'000;
    registry.expire();
    EXPECT_EQ(consumers(), 0U) << "silent for 6 s past a 5 s timeout";
}

TEST_F(RegistryTest, WhatOneClientCanMakeTheBrokerHoldIsBounded) {
    Registry small{RegistryOptions{5'000, "lab1", [](std::uint64_t) { return true; }, [this] { return now; }, 3, 2}};
    auto ask = [&](const json& request) { return json::parse(small.handle(request.dump())); };
    auto registration = [](const std::string& channel) {
        return json{{"type", "REG_REQ"}, {"channel", channel}, {"shm_name", "/plh." + channel},
                    {"secret", "ab"},    {"producer_pid", 1},  {"producer_host", "far"}};
    };
    for (int i = 0; i < 3; ++i) ASSERT_EQ(ask(registration("c" + std::to_string(i)))["status"], "ok");
    const json full = ask(registration("c3"));
    EXPECT_EQ(full["status"], "error");
    EXPECT_THAT(full["message"].get<std::string>(), HasSubstr("limit of 3 channels"));
    json big = registration("big");
    big["shm_name"] = std::string(300, 'x');
    EXPECT_THAT(ask(big)["message"].get<std::string>(), HasSubstr("field 'shm_name' is 300 bytes, more than the 256 allowed"));
    big = registration("c0");
    big["schema"] = {{"blds", std::string(70'000, 'x')}};
    EXPECT_THAT(ask(big)["message"].get<std::string>(), HasSubstr("field 'blds' is 70000 bytes"));
    for (int i = 0; i < 3; ++i) {
        const json consumer = ask({{"type", "CONSUMER_REG_REQ"},
                                   {"channel", "c0"},
                                   {"consumer_id", "r" + std::to_string(i)},
                                   {"consumer_pid", i},
                                   {"consumer_host", "far"}});
        EXPECT_EQ(consumer["status"], i < 2 ? "ok" : "error") << i;
        if (i == 2) {
            EXPECT_THAT(consumer["message"].get<std::string>(), HasSubstr("limit of 2 registered consumers"));
        }
    }
}

TEST_F(RegistryTest, OnlyTheOwnerMayDeregisterOrHeartbeat) {
    ASSERT_EQ(reg("sensor", 100)["status"], "ok");
    const std::string token = tokens["sensor"];
    EXPECT_EQ(token.size(), 32U);
    for (const char* type : {"DEREG_REQ", "HEARTBEAT_REQ"}) {
        const json wrong = call({{"type", type}, {"channel", "sensor"}, {"token", std::string(32, 'f')}, {"producer_pid", 100}});
        EXPECT_EQ(wrong["status"], "error") << type;
        EXPECT_THAT(wrong["message"].get<std::string>(), HasSubstr("was registered by another client (pid 100 on lab1): wrong token"));
        const json none = call({{"type", type}, {"channel", "sensor"}, {"producer_pid", 100}});
        EXPECT_THAT(none["message"].get<std::string>(), HasSubstr("field 'token' is missing"));
    }
    EXPECT_FALSE(call({{"type", "LIST_REQ"}})["channels"][0].contains("token")) << "never listed";
    EXPECT_FALSE(call({{"type", "DISC_REQ"}, {"channel", "sensor"}}).contains("token")) << "never discovered";
}

// Adversarial review (#19, finding 2): a pid and a host name are claims
// anyone can copy from LIST_REQ; they must not let a client take a channel.
TEST_F(RegistryTest, ClaimingALiveProducersPidAndHostDoesNotHijackItsChannel) {
    ASSERT_EQ(reg("sensor", 100)["status"], "ok");
    const json hijack = call({{"type", "REG_REQ"},
                              {"channel", "sensor"},
                              {"shm_name", "/plh.evil"},
                              {"secret", "ee"},
                              {"producer_pid", 100},
                              {"producer_host", "lab1"}});
    EXPECT_EQ(hijack["status"], "error");
    EXPECT_THAT(hijack["message"].get<std::string>(), HasSubstr("already has a live producer (pid 100 on lab1)"));
    const json stolen_token = reg("sensor", 100, "lab1", std::string(32, 'a'));
    EXPECT_EQ(stolen_token["status"], "error");
    EXPECT_EQ(call({{"type", "DISC_REQ"}, {"channel", "sensor"}})["shm_name"], "/plh.sensor") << "still the real producer's";
}

TEST_F(RegistryTest, AnAdvertisedEndpointIsFoundByChannelNameAndHeldByItsOwner) {
    auto advertise = [&](std::uint64_t pid, const std::string& endpoint) {
        return call({{"type", "ENDPOINT_REG_REQ"},
                     {"channel", "ticks"},
                     {"endpoint", endpoint},
                     {"curve_public_key", std::string(40, 'k')},
                     {"transport", "uplink (zmq)"},
                     {"pid", pid},
                     {"host", "lab1"}});
    };
    const json missing = call({{"type", "ENDPOINT_DISC_REQ"}, {"channel", "ticks"}});
    EXPECT_EQ(missing["status"], "error");
    EXPECT_EQ(missing["code"], "not_found") << "a client tells 'not yet' from a failure";
    EXPECT_EQ(advertise(100, "tcp://lab1:5601")["status"], "ok");
    const json found = call({{"type", "ENDPOINT_DISC_REQ"}, {"channel", "ticks"}});
    EXPECT_EQ(found["endpoint"], "tcp://lab1:5601");
    EXPECT_EQ(found["curve_public_key"], std::string(40, 'k'));
    const json taken = advertise(200, "tcp://lab1:5602");
    EXPECT_EQ(taken["status"], "error");
    EXPECT_THAT(taken["message"].get<std::string>(), HasSubstr("already advertised at tcp://lab1:5601 by pid 100"));
    EXPECT_EQ(advertise(100, "tcp://lab1:5601")["status"], "ok") << "repeating it is the heartbeat";
    const json listed = call({{"type", "LIST_REQ"}});
    ASSERT_EQ(listed["endpoints"].size(), 1U);
    EXPECT_EQ(listed["endpoints"][0]["transport"], "uplink (zmq)");
    alive.erase(100);
    registry.expire();
    EXPECT_EQ(call({{"type", "ENDPOINT_DISC_REQ"}, {"channel", "ticks"}})["code"], "not_found") << "its process died";
    EXPECT_EQ(advertise(200, "tcp://lab1:5602")["status"], "ok");
    now += 6'000;
    registry.expire();
    EXPECT_EQ(call({{"type", "ENDPOINT_DISC_REQ"}, {"channel", "ticks"}})["code"], "not_found") << "silent past the timeout";
}

TEST_F(RegistryTest, AnEndpointWithABadKeyOrNoEndpointIsRefused) {
    const json bad_key = call({{"type", "ENDPOINT_REG_REQ"},
                               {"channel", "c"},
                               {"endpoint", "tcp://x:1"},
                               {"curve_public_key", "short"},
                               {"pid", 1},
                               {"host", "h"}});
    EXPECT_THAT(bad_key["message"].get<std::string>(), HasSubstr("40 characters"));
    const json empty = call({{"type", "ENDPOINT_REG_REQ"}, {"channel", "c"}, {"endpoint", ""}, {"pid", 1}, {"host", "h"}});
    EXPECT_THAT(empty["message"].get<std::string>(), HasSubstr("may not be empty"));
}

}  // namespace
}  // namespace pylabhub::messagehub
