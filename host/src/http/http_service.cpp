#include "http/http_service.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <httplib.h>

#include "http/status_json.hpp"
#include "http/status_page.hpp"
#include "pylabhub/log.hpp"
#include "pylabhub/platform/clock.hpp"

namespace pylabhub::host {
namespace {

constexpr std::size_t kWorkers = 4;  // hundreds of scrapers queue; the pipeline's threads are never shared

void text(httplib::Response& res, int code, const std::string& body) {
    res.status = code;
    res.set_content(body, "text/plain; charset=utf-8");
}

void json(httplib::Response& res, int code, const nlohmann::json& body) {
    res.status = code;
    res.set_content(body.dump(2) + "\n", "application/json");
}

}  // namespace

struct HttpService::Impl {
    httplib::Server server;
    std::thread thread;
    std::string host;
    int port = 0;
    BuildInfo build;

    std::mutex mutex;  // guards source and the observers
    std::optional<LiveSource> source;
    std::optional<BrokerSource> broker_source;
    std::string broker;
    std::map<std::string, datablock::Observer> observers;

    /// The broker to describe, when this serves a broker.
    std::optional<BrokerSource> broker_mode() {
        std::lock_guard lock(mutex);
        return broker_source;
    }

    std::optional<PipelineStatus> status() {
        std::lock_guard lock(mutex);
        if (!source) return std::nullopt;
        return snapshot(*source);
    }

    void latest(const std::string& name, std::size_t last, httplib::Response& res) {
        std::lock_guard lock(mutex);
        if (!source) return text(res, 503, "starting\n");
        const ChannelRuntime* channel = nullptr;
        {
            std::lock_guard structure(*source->structure);
            for (const ChannelRuntime* c : source->view.channels) {
                if (c->plan->spec->name == name) channel = c;
            }
        }
        if (channel == nullptr) return json(res, 404, {{"error", "no channel '" + name + "' in this pipeline"}});
        auto found = observers.find(name);
        if (found == observers.end()) {
            auto observer = datablock::Observer::attach(channel->plan->shm_name, channel->secret);
            if (!observer) return json(res, 503, {{"error", "channel '" + name + "': " + observer.error().message}});
            found = observers.emplace(name, std::move(observer).value()).first;
        }
        for (int attempt = 0; attempt < 5; ++attempt) {
            auto newest = found->second.newest();
            if (!newest) return json(res, 404, {{"error", "channel '" + name + "' has no slot committed yet"}});
            auto slot = found->second.read(newest->sequence);
            if (!slot) continue;
            nlohmann::json doc = slot_json(name, *slot, channel->schema, platform::monotonic_time_ns());
            if (last > 1) {
                // The ring's newest slots, oldest first, for a plot of what happened between two looks.
                const std::uint64_t count = std::min<std::uint64_t>({last, channel->config.slot_count, newest->sequence + 1});
                doc["recent"] = nlohmann::json::array();
                for (std::uint64_t seq = newest->sequence + 1 - count; seq < newest->sequence; ++seq) {
                    auto older = found->second.read(seq);
                    if (!older) continue;  // the writer passed it meanwhile
                    nlohmann::json entry = slot_json(name, *older, channel->schema, 0);
                    doc["recent"].push_back({{"sequence", older->sequence}, {"commit_ns", older->commit_ns}, {"fields", entry["fields"]}});
                }
                doc["recent"].push_back({{"sequence", doc["sequence"]}, {"commit_ns", doc["commit_ns"]}, {"fields", doc["fields"]}});
            }
            return json(res, 200, doc);
            // the ring moved past it while copying: the next newest
        }
        return json(res, 503, {{"error", "channel '" + name + "' moves faster than it can be copied; try again"}});
    }

    void routes() {
        server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
            if (auto b = broker_mode()) {
                return res.set_content(broker_prometheus(ask_broker(*b), b->endpoint, build), "text/plain; version=0.0.4; charset=utf-8");
            }
            auto s = status();
            if (!s) return text(res, 503, "starting\n");
            res.set_content(prometheus_text(*s, build), "text/plain; version=0.0.4; charset=utf-8");
        });
        server.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
            if (auto b = broker_mode()) {
                const BrokerStatus asked = ask_broker(*b);
                return asked.answers ? text(res, 200, "ok\n") : text(res, 503, "the broker does not answer: " + asked.error + "\n");
            }
            auto s = status();
            if (!s) return text(res, 503, "starting\n");
            const auto failed = s->failed();
            if (failed.empty()) return text(res, 200, "ok\n");
            std::string ids;
            for (const auto& id : failed) ids += (ids.empty() ? "" : " ") + id;
            text(res, 503, "failed: " + ids + "\n");
        });
        server.Get("/api/status", [this](const httplib::Request&, httplib::Response& res) {
            if (auto b = broker_mode()) return json(res, 200, broker_json(ask_broker(*b), b->endpoint));
            auto s = status();
            if (!s) return json(res, 503, {{"state", "starting"}});
            std::string said;
            {
                std::lock_guard lock(mutex);
                said = broker;
            }
            json(res, 200, status_json(*s, said));
        });
        server.Get(R"(/api/channels/([^/]+)/latest)", [this](const httplib::Request& req, httplib::Response& res) {
            if (broker_mode()) return json(res, 404, {{"error", "a broker holds no data: ask the host that writes the channel"}});
            std::size_t last = 1;
            if (req.has_param("last"))
                last = static_cast<std::size_t>(std::max(1L, std::strtol(req.get_param_value("last").c_str(), nullptr, 10)));
            latest(req.matches[1].str(), last, res);
        });
        server.Get("/", [this](const httplib::Request&, httplib::Response& res) {
            if (auto b = broker_mode()) return res.set_content(broker_page(ask_broker(*b), b->endpoint), "text/html; charset=utf-8");
            res.set_content(status_page_html(), "text/html; charset=utf-8");
        });
        server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
            if (res.status == 404 && res.body.empty()) {
                text(res, 404, "no such path: " + req.path + " (try /, /metrics, /healthz, /api/status, /api/channels/NAME/latest)\n");
            }
        });
    }
};

HttpService::HttpService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpService>> HttpService::open(const std::string& address, BuildInfo build) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) return make_error(ErrorCode::invalid_argument, "http: '" + address + "' is not HOST:PORT");
    auto impl = std::make_unique<Impl>();
    impl->host = address.substr(0, colon);
    if (impl->host.empty()) impl->host = "127.0.0.1";
    if (impl->host.size() > 2 && impl->host.front() == '[' && impl->host.back() == ']')
        impl->host = impl->host.substr(1, impl->host.size() - 2);
    char* end = nullptr;
    const long port = std::strtol(address.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535 || colon + 1 == address.size()) {
        return make_error(ErrorCode::invalid_argument, "http: '" + address + "' has no port number (HOST:PORT, e.g. 127.0.0.1:9464)");
    }
    impl->build = std::move(build);
    impl->server.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
    impl->server.set_keep_alive_max_count(10);
    impl->server.set_read_timeout(5, 0);
    // httplib's default on Linux polls for connections without waiting: a
    // core spent spinning. A connection still wakes it at once.
    impl->server.set_idle_interval(0, 200'000);
    // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which two
    // hosts could share a port silently.
    impl->server.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    impl->routes();
    if (port == 0) {
        impl->port = impl->server.bind_to_any_port(impl->host);
    } else if (impl->server.bind_to_port(impl->host, static_cast<int>(port))) {
        impl->port = static_cast<int>(port);
    }
    if (impl->port <= 0) {
        return make_error(ErrorCode::system,
                          "http: cannot listen on " + address + " (in use by another program, or not an address of this machine)");
    }
    Impl* raw = impl.get();
    impl->thread = std::thread([raw] { raw->server.listen_after_bind(); });
    std::unique_ptr<HttpService> service(new HttpService(std::move(impl)));
    log::logger().info("http: serving on {} (/, /metrics, /healthz, /api/status)", service->url());
    return service;
}

HttpService::~HttpService() { stop(); }

std::string HttpService::url() const {
    const bool v6 = impl_->host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + impl_->host + "]" : impl_->host) + ":" + std::to_string(impl_->port);
}

void HttpService::serve(const LiveSource& source, const std::string& broker) {
    std::lock_guard lock(impl_->mutex);
    impl_->source = source;
    impl_->broker = broker;
}

void HttpService::serve_broker(const BrokerSource& source) {
    std::lock_guard lock(impl_->mutex);
    impl_->broker_source = source;
}

void HttpService::stop() {
    if (!impl_->thread.joinable()) return;
    impl_->server.stop();
    impl_->thread.join();
    std::lock_guard lock(impl_->mutex);
    impl_->source.reset();
    impl_->observers.clear();
}

}  // namespace pylabhub::host
