#include "http/broker_status.hpp"

#include <chrono>
#include <sstream>

#include "pylabhub/platform/clock.hpp"

namespace pylabhub::host {
namespace {

std::string html(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else if (c == '"') out += "&quot;";
        else out += c;
    }
    return out;
}

}  // namespace

BrokerStatus ask_broker(const BrokerSource& source) {
    BrokerStatus status;
    messagehub::Client client(source.endpoint, std::chrono::milliseconds(1000), source.keys);
    const std::uint64_t start = platform::monotonic_time_ns();
    auto channels = client.list();
    status.answer_ms = double(platform::monotonic_time_ns() - start) * 1e-6;
    if (!channels) {
        status.error = channels.error().message;
        return status;
    }
    status.channels = std::move(channels).value();
    // The secrets stay in the broker: this is for people and scrapers.
    for (auto& c : status.channels) c.secret_hex.clear();
    if (auto endpoints = client.list_endpoints()) status.endpoints = std::move(endpoints).value();
    status.answers = true;
    return status;
}

std::string broker_prometheus(const BrokerStatus& status, const std::string& endpoint, const BuildInfo& build) {
    std::size_t consumers = 0;
    for (const auto& c : status.channels) consumers += c.consumers.size();
    std::ostringstream out;
    const std::string at = "endpoint=\"" + endpoint + "\"";
    out << "# HELP pylabhub_build_info Version, commit and plugin ABI of the host (always 1).\n# TYPE pylabhub_build_info gauge\n"
        << "pylabhub_build_info{version=\"" << build.version << "\",commit=\"" << build.commit << "\",abi=\"" << build.abi << "\"} 1\n"
        << "# HELP pylabhub_broker_up 1 when the broker answered a request just now.\n# TYPE pylabhub_broker_up gauge\n"
        << "pylabhub_broker_up{" << at << "} " << (status.answers ? 1 : 0) << "\n"
        << "# HELP pylabhub_broker_answer_seconds How long it took to answer that request.\n# TYPE pylabhub_broker_answer_seconds gauge\n"
        << "pylabhub_broker_answer_seconds{" << at << "} " << status.answer_ms * 1e-3 << "\n"
        << "# HELP pylabhub_broker_channels Channels registered.\n# TYPE pylabhub_broker_channels gauge\n"
        << "pylabhub_broker_channels{" << at << "} " << status.channels.size() << "\n"
        << "# HELP pylabhub_broker_consumers Consumers registered, over every channel.\n# TYPE pylabhub_broker_consumers gauge\n"
        << "pylabhub_broker_consumers{" << at << "} " << consumers << "\n"
        << "# HELP pylabhub_broker_endpoints Channels advertised for reaching over the network.\n# TYPE pylabhub_broker_endpoints gauge\n"
        << "pylabhub_broker_endpoints{" << at << "} " << status.endpoints.size() << "\n";
    return out.str();
}

nlohmann::json broker_json(const BrokerStatus& status, const std::string& endpoint) {
    nlohmann::json doc = {{"broker", endpoint}, {"answers", status.answers}, {"answer_ms", status.answer_ms}};
    if (!status.answers) doc["error"] = status.error;
    doc["channels"] = nlohmann::json::array();
    for (const auto& c : status.channels) {
        nlohmann::json consumers = nlohmann::json::array();
        for (const auto& k : c.consumers) consumers.push_back({{"id", k.id}, {"pid", k.pid}, {"host", k.host}});
        doc["channels"].push_back({{"channel", c.channel},
                                   {"shm_name", c.shm_name},
                                   {"schema", c.schema_name},
                                   {"schema_version", c.schema_version},
                                   {"schema_hash", c.schema_hash},
                                   {"producer_pid", c.producer_pid},
                                   {"producer_host", c.producer_host},
                                   {"consumers", consumers}});
    }
    doc["endpoints"] = nlohmann::json::array();
    for (const auto& e : status.endpoints) {
        doc["endpoints"].push_back({{"channel", e.channel},
                                    {"endpoint", e.endpoint},
                                    {"curve", !e.curve_public_key.empty()},
                                    {"transport", e.transport},
                                    {"pid", e.pid},
                                    {"host", e.host}});
    }
    return doc;
}

std::string broker_page(const BrokerStatus& status, const std::string& endpoint) {
    std::ostringstream out;
    out << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\">"
           "<title>pyLabHub broker</title><style>body{font:14px system-ui,sans-serif;margin:18px}td,th{padding:3px 8px;"
           "text-align:left;border-bottom:1px solid #eee}.bad{color:#d64545}</style></head><body>"
        << "<h1>pyLabHub broker</h1><p>" << html(endpoint) << " — "
        << (status.answers ? "answers (" + std::to_string(static_cast<int>(status.answer_ms * 1000)) + " µs)"
                           : "<span class=\"bad\">does not answer: " + html(status.error) + "</span>")
        << "</p><h2>Channels</h2><table><tr><th>channel</th><th>schema</th><th>producer</th><th>consumers</th></tr>";
    for (const auto& c : status.channels) {
        std::string consumers;
        for (const auto& k : c.consumers) consumers += (consumers.empty() ? "" : ", ") + k.id + " (pid " + std::to_string(k.pid) + ")";
        out << "<tr class=\"channel-row\"><td>" << html(c.channel) << "</td><td>" << html(c.schema_name + " " + c.schema_version)
            << "</td><td>pid " << c.producer_pid << " on " << html(c.producer_host) << "</td><td>" << html(consumers) << "</td></tr>";
    }
    out << "</table><h2>Reachable over the "
           "network</h2><table><tr><th>channel</th><th>endpoint</th><th>CurveZMQ</th><th>transport</th></tr>";
    for (const auto& e : status.endpoints) {
        out << "<tr><td>" << html(e.channel) << "</td><td>" << html(e.endpoint) << "</td><td>"
            << (e.curve_public_key.empty() ? "no" : "yes") << "</td><td>" << html(e.transport) << "</td></tr>";
    }
    out << "</table><p><a href=\"/metrics\">/metrics</a> · <a href=\"/api/status\">/api/status</a> · <a href=\"/healthz\">/healthz</a></p>"
           "</body></html>\n";
    return out.str();
}

}  // namespace pylabhub::host
