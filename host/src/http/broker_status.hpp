// What `pylabhub broker --http` serves: the broker asked through its own
// front door (a client request, served by its loop like any other), so the
// HTTP threads never touch its registry.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/prometheus_text.hpp"
#include "pylabhub/messagehub/client.hpp"
#include "pylabhub/messagehub/curve.hpp"

namespace pylabhub::host {

struct BrokerSource {
    std::string endpoint;
    std::optional<messagehub::CurveClientKeys> keys;  ///< with a CurveZMQ broker
};

struct BrokerStatus {
    bool answers = false;
    std::string error;     ///< why it did not
    double answer_ms = 0;  ///< how long the list took
    std::vector<messagehub::ChannelRecord> channels;
    std::vector<messagehub::EndpointRecord> endpoints;
};

BrokerStatus ask_broker(const BrokerSource& source);
std::string broker_prometheus(const BrokerStatus& status, const std::string& endpoint, const BuildInfo& build);
nlohmann::json broker_json(const BrokerStatus& status, const std::string& endpoint);
/// A plain page (no script): the channels and the reachable endpoints.
std::string broker_page(const BrokerStatus& status, const std::string& endpoint);

}  // namespace pylabhub::host
