// The host's HTTP endpoints: /metrics, /healthz, /api/status,
// /api/channels/NAME/latest and the status page (docs/observability.md).
// Bound before anything starts (a port in use stops the start), answering
// "starting" until the pipeline runs, stopped before it is taken down.
#pragma once

#include <memory>
#include <string>

#include "http/broker_status.hpp"
#include "http/live_status.hpp"
#include "http/prometheus_text.hpp"
#include "pylabhub/core/result.hpp"

namespace pylabhub::host {

class HttpService {
public:
    /// Listens on "HOST:PORT" (port 0: any free one) with a few worker threads.
    static Result<std::unique_ptr<HttpService>> open(const std::string& address, BuildInfo build);
    ~HttpService();
    HttpService(const HttpService&) = delete;
    HttpService& operator=(const HttpService&) = delete;

    /// "http://127.0.0.1:9464" as bound.
    std::string url() const;
    /// From now on the endpoints describe this pipeline (`source` stays
    /// valid until stop()); `broker` is said in /api/status.
    void serve(const LiveSource& source, const std::string& broker);
    /// Or: from now on the endpoints describe the broker at `source`
    /// (`pylabhub broker --http`), asked through its own front door.
    void serve_broker(const BrokerSource& source);
    /// Stops answering and waits for the requests in flight.
    void stop();

private:
    struct Impl;
    explicit HttpService(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace pylabhub::host
