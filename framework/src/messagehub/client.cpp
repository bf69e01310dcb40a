#include "pylabhub/messagehub/client.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <unordered_map>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "pylabhub/log.hpp"
#include "pylabhub/messagehub/curve_zap.hpp"
#include "pylabhub/platform/private_directory.hpp"

namespace pylabhub::messagehub {
namespace {

using nlohmann::json;

ChannelRecord record_from(const json& j) {
    ChannelRecord r;
    r.channel = j.value("channel", "");
    r.shm_name = j.value("shm_name", "");
    r.secret_hex = j.value("secret", "");
    if (j.contains("schema") && j["schema"].is_object()) {
        const json& s = j["schema"];
        r.schema_name = s.value("name", "");
        r.schema_version = s.value("version", "");
        r.schema_hash = s.value("hash", "");
        r.schema_blds = s.value("blds", "");
    }
    r.producer_pid = j.value("producer_pid", 0ULL);
    r.producer_host = j.value("producer_host", "");
    r.registered_ms = j.value("registered_ms", 0ULL);
    r.last_heartbeat_ms = j.value("last_heartbeat_ms", 0ULL);
    for (const auto& c : j.value("consumers", json::array())) {
        r.consumers.push_back({c.value("id", ""), c.value("pid", 0ULL), c.value("host", "")});
    }
    return r;
}

}  // namespace

std::string default_endpoint() {
    std::filesystem::path directory;
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime != '\0') {
        directory = std::filesystem::path(runtime) / "pylabhub";
    } else {
        directory = std::filesystem::path("/tmp") / ("pylabhub-" + std::to_string(::getuid()));
    }
    return "ipc://" + (directory / "broker.ipc").string();
}

Result<void> check_endpoint(const std::string& endpoint) {
    if (endpoint != default_endpoint()) return {};
    return platform::ensure_private_directory(std::filesystem::path(endpoint.substr(6)).parent_path());
}

struct Client::Impl {
    std::string endpoint;
    std::chrono::milliseconds timeout;
    zmq::context_t context{1};
    std::optional<zmq::socket_t> socket;
    std::uint64_t next_id = 1;
    std::optional<CurveClientKeys> curve;
    std::string curve_public;

    void ensure_socket() {
        if (socket) return;
        socket.emplace(context, zmq::socket_type::dealer);
        socket->set(zmq::sockopt::linger, 0);
        if (curve) {
            socket->set(zmq::sockopt::curve_serverkey, curve->server_public);
            socket->set(zmq::sockopt::curve_publickey, curve_public);
            socket->set(zmq::sockopt::curve_secretkey, curve->client_secret);
        }
        socket->connect(endpoint);
    }

    Result<json> call(json request) {
        try {
            ensure_socket();
            const std::uint64_t id = next_id++;
            request["id"] = id;
            const std::string text = request.dump();
            socket->send(zmq::message_t(), zmq::send_flags::sndmore);
            socket->send(zmq::buffer(text), zmq::send_flags::none);
            const auto deadline = std::chrono::steady_clock::now() + timeout;
            for (;;) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
                zmq::pollitem_t item{static_cast<void*>(*socket), 0, ZMQ_POLLIN, 0};
                if (left.count() <= 0 || zmq::poll(&item, 1, left) == 0) {
                    socket.reset();  // drop whatever is queued; a fresh socket next time
                    return make_error(ErrorCode::timeout,
                                      "no answer from the broker at " + endpoint + " within " + std::to_string(timeout.count()) +
                                          " ms (is 'pylabhub broker' running? does it require CurveZMQ keys" +
                                          (curve ? ", and are these the right ones?)" : "?)"));
                }
                zmq::message_t delimiter;
                zmq::message_t payload;
                if (!socket->recv(delimiter) || !delimiter.more() || !socket->recv(payload)) continue;
                json reply = json::parse(payload.to_string(), nullptr, false);
                if (reply.is_discarded() || !reply.is_object()) {
                    return make_error(ErrorCode::corrupt, "the broker at " + endpoint + " answered something that is not JSON");
                }
                if (reply.value("id", 0ULL) != id) continue;  // a late answer to an earlier request
                if (reply.value("status", "") != "ok") {
                    const std::string code = reply.value("code", "");
                    return make_error(code == "not_found"          ? ErrorCode::not_found
                                          : code == "rate_limited" ? ErrorCode::busy
                                                                   : ErrorCode::invalid_argument,
                                      "broker: " + reply.value("message", std::string("error")));
                }
                return reply;
            }
        } catch (const zmq::error_t& e) {
            socket.reset();
            return make_error(ErrorCode::system, "broker at " + endpoint + ": " + e.what());
        }
    }
};

Client::Client(std::string endpoint, std::chrono::milliseconds timeout, std::optional<CurveClientKeys> curve)
    : impl_(std::make_unique<Impl>()) {
    impl_->endpoint = std::move(endpoint);
    impl_->timeout = timeout;
    if (curve) {
        auto derived = curve_public_of(curve->client_secret);
        impl_->curve_public = derived ? *derived : std::string();
        impl_->curve = std::move(curve);
    }
}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

const std::string& Client::endpoint() const { return impl_->endpoint; }

Result<void> Client::register_producer(ChannelRecord& r) {
    json request = {{"type", "REG_REQ"},
                    {"channel", r.channel},
                    {"shm_name", r.shm_name},
                    {"secret", r.secret_hex},
                    {"producer_pid", r.producer_pid},
                    {"producer_host", r.producer_host},
                    {"schema", {{"name", r.schema_name}, {"version", r.schema_version}, {"hash", r.schema_hash}, {"blds", r.schema_blds}}}};
    if (!r.token.empty()) request["token"] = r.token;
    auto reply = impl_->call(std::move(request));
    if (!reply) return std::move(reply).error();
    r.token = reply->value("token", std::string());
    return {};
}

Result<ChannelRecord> Client::discover(const std::string& channel, const std::optional<std::string>& expected_schema_hash,
                                       const std::string& expected_schema_name) {
    auto reply = impl_->call({{"type", "DISC_REQ"}, {"channel", channel}});
    if (!reply) return std::move(reply).error();
    ChannelRecord record = record_from(*reply);
    if (expected_schema_hash && record.schema_hash != *expected_schema_hash) {
        return make_error(ErrorCode::mismatch,
                          "channel '" + channel + "': schema mismatch: expected '" + expected_schema_name + "' hash " +
                              *expected_schema_hash + ", the producer registered '" + record.schema_name + "' hash " + record.schema_hash);
    }
    return record;
}

Result<void> Client::deregister(const std::string& channel, const std::string& token) {
    auto reply = impl_->call({{"type", "DEREG_REQ"}, {"channel", channel}, {"token", token}});
    if (!reply) return std::move(reply).error();
    return {};
}

Result<void> Client::register_consumer(const std::string& channel, const ConsumerRecord& consumer) {
    auto reply = impl_->call({{"type", "CONSUMER_REG_REQ"},
                              {"channel", channel},
                              {"consumer_id", consumer.id},
                              {"consumer_pid", consumer.pid},
                              {"consumer_host", consumer.host}});
    if (!reply) return std::move(reply).error();
    return {};
}

Result<void> Client::deregister_consumer(const std::string& channel, const ConsumerRecord& consumer) {
    auto reply = impl_->call({{"type", "CONSUMER_DEREG_REQ"},
                              {"channel", channel},
                              {"consumer_id", consumer.id},
                              {"consumer_pid", consumer.pid},
                              {"consumer_host", consumer.host}});
    if (!reply) return std::move(reply).error();
    return {};
}

Result<void> Client::heartbeat(const std::string& channel, const std::string& token) {
    auto reply = impl_->call({{"type", "HEARTBEAT_REQ"}, {"channel", channel}, {"token", token}});
    if (!reply) return std::move(reply).error();
    return {};
}

Result<std::vector<ChannelRecord>> Client::list() {
    auto reply = impl_->call({{"type", "LIST_REQ"}});
    if (!reply) return std::move(reply).error();
    std::vector<ChannelRecord> all;
    for (const auto& item : reply->value("channels", json::array())) all.push_back(record_from(item));
    return all;
}

namespace {
EndpointRecord endpoint_from(const json& j) {
    return {j.value("channel", ""), j.value("endpoint", ""), j.value("curve_public_key", ""),   j.value("transport", ""),
            j.value("pid", 0ULL),   j.value("host", ""),     j.value("last_heartbeat_ms", 0ULL)};
}
}  // namespace

Result<void> Client::register_endpoint(const EndpointRecord& record) {
    auto reply = impl_->call({{"type", "ENDPOINT_REG_REQ"},
                              {"channel", record.channel},
                              {"endpoint", record.endpoint},
                              {"curve_public_key", record.curve_public_key},
                              {"transport", record.transport},
                              {"pid", record.pid},
                              {"host", record.host}});
    if (!reply) return std::move(reply).error();
    return {};
}

Result<EndpointRecord> Client::discover_endpoint(const std::string& channel) {
    auto reply = impl_->call({{"type", "ENDPOINT_DISC_REQ"}, {"channel", channel}});
    if (!reply) return std::move(reply).error();
    return endpoint_from(*reply);
}

Result<void> Client::deregister_endpoint(const EndpointRecord& record) {
    auto reply = impl_->call({{"type", "ENDPOINT_DEREG_REQ"}, {"channel", record.channel}, {"pid", record.pid}, {"host", record.host}});
    if (!reply) return std::move(reply).error();
    return {};
}

Result<std::vector<EndpointRecord>> Client::list_endpoints() {
    auto reply = impl_->call({{"type", "LIST_REQ"}});
    if (!reply) return std::move(reply).error();
    std::vector<EndpointRecord> all;
    for (const auto& item : reply->value("endpoints", json::array())) all.push_back(endpoint_from(item));
    return all;
}

Result<std::string> Client::request(const std::string& text) {
    try {
        impl_->ensure_socket();
        impl_->socket->send(zmq::message_t(), zmq::send_flags::sndmore);
        impl_->socket->send(zmq::buffer(text), zmq::send_flags::none);
        zmq::pollitem_t item{static_cast<void*>(*impl_->socket), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, impl_->timeout) == 0) {
            impl_->socket.reset();
            return make_error(ErrorCode::timeout, "no answer from the broker at " + impl_->endpoint);
        }
        zmq::message_t delimiter;
        zmq::message_t payload;
        (void)impl_->socket->recv(delimiter);
        (void)impl_->socket->recv(payload);
        return payload.to_string();
    } catch (const zmq::error_t& e) {
        impl_->socket.reset();
        return make_error(ErrorCode::system, e.what());
    }
}

namespace {

/// How many requests one client (one connection) may make in a second. A
/// host repeats each registration of its channels, consumers and endpoints
/// every 2 s, so even one at the registry's limits stays far below; past it
/// the broker answers with a cheap error and does not look at the request,
/// so a storm from one client costs the others nothing but their turn.
constexpr std::uint32_t kRequestsPerClientPerSecond = 10'000;

class ClientBudgets {
public:
    /// True when `client` may make one more request now.
    bool take(const std::string& client, std::uint64_t now_ms) {
        Budget& budget = budgets_[client];
        if (now_ms - budget.window_ms >= 1000) budget = Budget{now_ms, 0, false};
        if (budget.used < kRequestsPerClientPerSecond) {
            ++budget.used;
            return true;
        }
        if (!budget.warned) {
            budget.warned = true;
            log::logger().warn("broker: a client sent more than {} requests in a second; refusing the rest of that second",
                               kRequestsPerClientPerSecond);
        }
        return false;
    }
    /// Clients quiet for a while are forgotten (the map stays small).
    void forget_quiet(std::uint64_t now_ms) {
        std::erase_if(budgets_, [&](const auto& entry) { return now_ms - entry.second.window_ms > 2000; });
    }

private:
    struct Budget {
        std::uint64_t window_ms = 0;
        std::uint32_t used = 0;
        bool warned = false;
    };
    std::unordered_map<std::string, Budget> budgets_;
};

/// The refusal, echoing a numeric "id" found by a plain scan (the request
/// is not parsed: that is the cost being refused).
std::string rate_limited_reply(const std::string& request) {
    std::string id;
    if (const auto at = request.find("\"id\":"); at != std::string::npos) {
        for (std::size_t i = at + 5; i < request.size() && i < at + 25 && std::isdigit(static_cast<unsigned char>(request[i])); ++i) {
            id += request[i];
        }
    }
    return std::string(R"({"type":"ERROR","status":"error","code":"rate_limited",)") + (id.empty() ? "" : "\"id\":" + id + ",") +
        R"("message":"more than )" + std::to_string(kRequestsPerClientPerSecond) + R"( requests in a second from this client: slow down"})";
}

std::uint64_t steady_ms() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

Result<void> serve(const std::string& endpoint, RegistryOptions options, const std::function<bool()>& should_stop,
                   const std::optional<std::string>& curve_secret, const std::vector<std::string>& allowed_clients) {
    Registry registry(std::move(options));
    zmq::context_t context(1);
    // Before the router exists, so no client connects before the list is in force.
    std::optional<CurveAllowList> allow_list;
    if (curve_secret && !allowed_clients.empty()) {
        allow_list.emplace(context, allowed_clients, [](const std::string& client, const std::string& address) {
            log::logger().warn("broker: refused CurveZMQ client {} from {}: its key is not on the allow-list", client, address);
        });
    }
    zmq::socket_t router(context, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    if (curve_secret) {
        router.set(zmq::sockopt::curve_server, 1);
        router.set(zmq::sockopt::curve_secretkey, *curve_secret);
    }
    // Requests over kMaxRequestBytes get an error reply from the registry;
    // absurd ones (over 16x that) are cut off by ZeroMQ to bound memory.
    router.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(16 * kMaxRequestBytes));
    if (auto usable = check_endpoint(endpoint); !usable) return std::move(usable).error();
    if (endpoint.rfind("ipc://", 0) == 0) {
        std::error_code error;
        std::filesystem::create_directories(std::filesystem::path(endpoint.substr(6)).parent_path(), error);
    }
    try {
        router.bind(endpoint);
    } catch (const zmq::error_t& e) {
        return make_error(
            ErrorCode::busy,
            "broker: cannot bind " + endpoint + ": " + e.what() + (e.num() == EADDRINUSE ? " (another broker is running there?)" : ""));
    }
    log::logger().info("broker: serving on {}{}", endpoint,
                       !curve_secret    ? ""
                           : allow_list ? " (CurveZMQ required, " + std::to_string(allowed_clients.size()) + " allowed client keys)"
                                        : std::string(" (CurveZMQ required)"));
    auto last_expiry = std::chrono::steady_clock::now();
    ClientBudgets budgets;
    while (!should_stop()) {
        zmq::pollitem_t items[2] = {{static_cast<void*>(router), 0, ZMQ_POLLIN, 0},
                                    {allow_list ? static_cast<void*>(allow_list->socket()) : nullptr, 0, ZMQ_POLLIN, 0}};
        const int ready = zmq::poll(items, allow_list ? 2 : 1, std::chrono::milliseconds(100));
        if (allow_list && (items[1].revents & ZMQ_POLLIN) != 0) allow_list->answer();
        if (ready > 0 && (items[0].revents & ZMQ_POLLIN) != 0) {
            std::vector<zmq::message_t> frames = receive_frames(router);
            if (frames.size() < 2) continue;
            // [identity, (empty delimiter,) payload]
            const std::string payload = frames.back().to_string();
            const std::string answer =
                budgets.take(frames.front().to_string(), steady_ms()) ? registry.handle(payload) : rate_limited_reply(payload);
            router.send(zmq::buffer(frames.front().data(), frames.front().size()), zmq::send_flags::sndmore);
            if (frames.size() >= 3) router.send(zmq::message_t(), zmq::send_flags::sndmore);
            router.send(zmq::buffer(answer), zmq::send_flags::none);
        }
        if (std::chrono::steady_clock::now() - last_expiry > std::chrono::seconds(1)) {
            registry.expire();
            budgets.forget_quiet(steady_ms());
            last_expiry = std::chrono::steady_clock::now();
        }
    }
    if (endpoint.rfind("ipc://", 0) == 0) std::filesystem::remove(endpoint.substr(6));
    log::logger().info("broker: stopped");
    return {};
}

}  // namespace

Result<void> run_broker(const std::string& endpoint, RegistryOptions options, const std::function<bool()>& should_stop,
                        const std::optional<std::string>& curve_secret, const std::vector<std::string>& allowed_clients) {
    // ZeroMQ reports a shortage of file descriptors (or memory) by throwing,
    // wherever it happens: a broker that cannot go on says so and ends.
    try {
        return serve(endpoint, std::move(options), should_stop, curve_secret, allowed_clients);
    } catch (const zmq::error_t& e) {
        return make_error(
            ErrorCode::system,
            std::string("broker on ") + endpoint + ": " + e.what() + (e.num() == EMFILE ? " (the open-file limit, 'ulimit -n'?)" : ""));
    }
}

}  // namespace pylabhub::messagehub
