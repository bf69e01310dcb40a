#include "pipeline/broker_link.hpp"

#include <chrono>
#include <system_error>

#include <unistd.h>

#include "pylabhub/log.hpp"
#include "pylabhub/platform/process.hpp"

namespace pylabhub::host {
namespace {

using namespace std::chrono_literals;

std::uint64_t wall_ms() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

bool answers(const std::string& endpoint, std::chrono::milliseconds timeout,
             const std::optional<messagehub::CurveClientKeys>& curve = std::nullopt) {
    messagehub::Client probe(endpoint, timeout, curve);
    return probe.list().has_value();
}

constexpr auto kHeartbeatInterval = 2s;

}  // namespace

std::string host_name() {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
}

messagehub::RegistryOptions local_registry_options() {
    messagehub::RegistryOptions options;
    options.host = host_name();
    options.is_alive = [](std::uint64_t pid) { return platform::is_process_alive(pid); };
    options.now_ms = wall_ms;
    return options;
}

Result<std::unique_ptr<BrokerLink>> BrokerLink::open(const std::optional<std::string>& endpoint,
                                                     const std::optional<messagehub::CurveClientKeys>& curve) {
    try {
        auto link = connect(endpoint, curve);
        if (!link) return link;
        // The first request starts ZeroMQ's own threads: do it now, before
        // any segment exists, since libzmq aborts when it cannot start one.
        (void)(*link)->client_.list();
        return link;
    } catch (const std::system_error& e) {
        return make_error(ErrorCode::system,
                          std::string("broker: cannot start a thread: ") + e.what() + " (the process or user thread limit, 'ulimit -u'?)");
    } catch (const std::exception& e) {  // zmq::error_t: ZeroMQ could not make its context or socket
        return make_error(ErrorCode::system, std::string("broker: ") + e.what() + " (the open-file limit, 'ulimit -n'?)");
    }
}

Result<std::unique_ptr<BrokerLink>> BrokerLink::connect(const std::optional<std::string>& endpoint,
                                                        const std::optional<messagehub::CurveClientKeys>& curve) {
    if (endpoint) {
        if (!answers(*endpoint, 2000ms, curve)) {
            return make_error(ErrorCode::timeout,
                              "broker: no answer from " + *endpoint +
                                  " (the pipeline's 'broker:'); start it with 'pylabhub broker --bind " + *endpoint +
                                  "', check its CurveZMQ keys, or remove the key to embed one");
        }
        std::unique_ptr<BrokerLink> link(new BrokerLink(*endpoint, curve));
        link->heartbeat_ = std::thread([raw = link.get()] { raw->keep_alive(); });
        return link;
    }
    const std::string fallback = messagehub::default_endpoint();
    if (auto usable = messagehub::check_endpoint(fallback); !usable) {
        return make_error(usable.error().code, "broker: " + usable.error().message);
    }
    std::unique_ptr<BrokerLink> link(new BrokerLink(fallback, std::nullopt));
    if (!answers(fallback, 300ms)) {
        const messagehub::RegistryOptions options = local_registry_options();
        auto* raw = link.get();
        raw->embedded_ = std::thread([raw, fallback, options] {
            auto served = messagehub::run_broker(fallback, options, [raw] { return raw->stop_.load(); });
            if (!served && served.error().code == ErrorCode::busy) {
                log::logger().debug("embedded broker: {}", served.error().message);  // another host won the race
            } else if (!served) {
                log::logger().error("embedded broker: {}", served.error().message);
            }
        });
        for (int i = 0; i < 50 && !answers(fallback, 100ms); ++i) std::this_thread::sleep_for(10ms);
        log::logger().info("embedded a broker at {}", fallback);
    }
    link->heartbeat_ = std::thread([raw = link.get()] { raw->keep_alive(); });
    return link;
}

BrokerLink::~BrokerLink() {
    {
        std::lock_guard lock(mutex_);
        for (const auto& record : endpoints_) (void)client_.deregister_endpoint(record);
        endpoints_.clear();
        for (const auto& [channel, consumer] : consumers_) (void)client_.deregister_consumer(channel, consumer);
        consumers_.clear();
        for (const auto& record : registered_) (void)client_.deregister(record.channel, record.token);
        registered_.clear();
    }
    stop_ = true;
    if (heartbeat_.joinable()) heartbeat_.join();
    if (embedded_.joinable()) embedded_.join();
}

Result<void> BrokerLink::register_channel(messagehub::ChannelRecord record) {
    std::lock_guard lock(mutex_);
    auto registered = client_.register_producer(record);
    if (!registered) return registered;
    registered_.push_back(std::move(record));  // with its token
    return {};
}

Result<messagehub::ChannelRecord> BrokerLink::discover(const std::string& channel) {
    std::lock_guard lock(mutex_);
    return client_.discover(channel);
}

void BrokerLink::deregister(const std::string& channel) {
    std::lock_guard lock(mutex_);
    for (auto it = registered_.begin(); it != registered_.end(); ++it) {
        if (it->channel == channel) {
            (void)client_.deregister(channel, it->token);
            registered_.erase(it);
            return;
        }
    }
}

void BrokerLink::register_consumer(const std::string& channel, const std::string& consumer_id) {
    std::lock_guard lock(mutex_);
    messagehub::ConsumerRecord consumer{consumer_id, platform::current_pid(), host_name()};
    (void)client_.register_consumer(channel, consumer);  // a failure is retried with the next heartbeat
    consumers_.emplace_back(channel, consumer);
}

Result<void> BrokerLink::advertise(messagehub::EndpointRecord record) {
    std::lock_guard lock(mutex_);
    record.pid = platform::current_pid();
    record.host = host_name();
    if (auto registered = client_.register_endpoint(record); !registered) return registered;
    std::erase_if(endpoints_, [&](const messagehub::EndpointRecord& e) { return e.channel == record.channel; });
    endpoints_.push_back(std::move(record));
    return {};
}

Result<messagehub::EndpointRecord> BrokerLink::discover_endpoint(const std::string& channel) {
    std::lock_guard lock(mutex_);
    return client_.discover_endpoint(channel);
}

bool BrokerLink::beat_endpoints() {
    for (const auto& record : endpoints_) {
        auto beat = client_.register_endpoint(record);
        if (beat) continue;
        if (beat.error().code == ErrorCode::timeout) return false;
        log::logger().warn("endpoint {} of channel '{}': {}", record.endpoint, record.channel, beat.error().message);
    }
    return true;
}

void BrokerLink::keep_alive() {
    auto next = std::chrono::steady_clock::now() + kHeartbeatInterval;
    bool warned = false;
    while (!stop_) {
        std::this_thread::sleep_for(50ms);
        if (std::chrono::steady_clock::now() < next) continue;
        next = std::chrono::steady_clock::now() + kHeartbeatInterval;
        std::lock_guard lock(mutex_);
        const bool answered = beat_channels() && beat_consumers() && beat_endpoints();
        if (!answered && !warned) log::logger().warn("broker at {} does not answer; channels stay usable, registration retried", endpoint_);
        warned = !answered;
    }
}

bool BrokerLink::beat_channels() {
    for (auto& record : registered_) {
        auto beat = client_.heartbeat(record.channel, record.token);
        if (beat) continue;
        if (beat.error().code == ErrorCode::timeout) return false;
        // A restarted broker forgot us: register again, for a new token (our consumers follow below).
        record.token.clear();
        if (client_.register_producer(record)) log::logger().info("re-registered channel '{}' with the broker", record.channel);
    }
    return true;
}

bool BrokerLink::beat_consumers() {
    // Repeating a consumer's registration is its heartbeat, and registers it
    // again with a broker that restarted (once its channel is back there).
    for (const auto& [channel, consumer] : consumers_) {
        auto beat = client_.register_consumer(channel, consumer);
        if (beat) continue;
        if (beat.error().code == ErrorCode::timeout) return false;
        log::logger().debug("consumer '{}' of channel '{}': {}; retried", consumer.id, channel, beat.error().message);
    }
    return true;
}

}  // namespace pylabhub::host
