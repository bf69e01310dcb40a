#include "http/status_json.hpp"

#include <cstdio>
#include <cmath>
#include <cstdlib>

#include "pylabhub/schema/blds.hpp"

namespace pylabhub::host {

namespace {

/// Numbers as JSON numbers (integers exact), text as strings.
nlohmann::json fields_json(const std::vector<schema::PayloadField>& fields) {
    nlohmann::json values = nlohmann::json::object();
    for (const auto& f : fields) {
        const char* text = f.value.c_str();
        char* end = nullptr;
        if (!f.is_text && !f.value.empty() && f.value.find_first_not_of("-0123456789") == std::string::npos) {
            if (f.value[0] == '-') values[f.name] = std::strtoll(text, &end, 10);
            else values[f.name] = std::strtoull(text, &end, 10);
        } else if (const double number = std::strtod(text, &end); !f.is_text && end != text && *end == '\0' && std::isfinite(number)) {
            values[f.name] = number;
        } else {
            values[f.name] = f.value;  // text; nan and inf, which JSON has no numbers for
        }
    }
    return values;
}

}  // namespace

nlohmann::json status_json(const PipelineStatus& status, const std::string& broker) {
    nlohmann::json doc;
    doc["pipeline"] = status.pipeline;
    doc["uptime_s"] = status.uptime;
    doc["broker"] = broker;
    doc["healthy"] = status.failed().empty();
    doc["failed"] = status.failed();
    doc["channels"] = nlohmann::json::array();
    for (const auto& c : status.channels) {
        nlohmann::json channel = {{"name", c.name},
                                  {"writer", c.writer},
                                  {"sync", c.sync},
                                  {"checksum", c.checksum},
                                  {"slot_bytes", c.slot_bytes},
                                  {"slots", c.slot_count},
                                  {"written", c.committed},
                                  {"bytes", c.bytes},
                                  {"rate", c.rate},
                                  {"fill", c.fill},
                                  {"writer_waits", c.writer_waits},
                                  {"consumers", c.metrics.consumers},
                                  {"checksum_failures", c.metrics.checksum_failures},
                                  {"torn_reads", c.metrics.torn_reads}};
        channel["schema"] = c.schema_name.empty()
            ? nlohmann::json(nullptr)
            : nlohmann::json{{"name", c.schema_name}, {"version", c.schema_version}, {"hash", c.schema_hash}};
        doc["channels"].push_back(std::move(channel));
    }
    doc["components"] = nlohmann::json::array();
    for (const auto& c : status.components) {
        nlohmann::json component = {{"id", c.id},
                                    {"kind", c.kind},
                                    {"plugin", c.plugin},
                                    {"state", c.state},
                                    {"restarts", c.restarts},
                                    {"last_error", c.last_error},
                                    {"counters", c.counters}};
        if (!c.direction.empty()) component["direction"] = c.direction;
        component["inputs"] = nlohmann::json::array();
        for (const auto& in : c.inputs) {
            component["inputs"].push_back({{"channel", in.channel},
                                           {"read", in.read},
                                           {"slots", in.slots},
                                           {"gaps", in.gaps},
                                           {"corrupt", in.corrupt},
                                           {"lag", in.lag}});
        }
        doc["components"].push_back(std::move(component));
    }
    return doc;
}

nlohmann::json slot_json(const std::string& channel, const datablock::ObservedSlot& slot, const std::optional<SchemaDescription>& schema,
                         std::uint64_t now_ns) {
    nlohmann::json doc = {{"channel", channel},
                          {"sequence", slot.sequence},
                          {"commit_ns", slot.commit_ns},
                          {"age_s", now_ns > slot.commit_ns ? double(now_ns - slot.commit_ns) * 1e-9 : 0.0},
                          {"bytes", slot.payload.size()}};
    if (!schema) {
        std::string hex;
        for (std::size_t i = 0; i < std::min<std::size_t>(slot.payload.size(), 64); ++i) {
            char two[3];
            std::snprintf(two, sizeof two, "%02x", static_cast<unsigned>(slot.payload[i]));
            hex += two;
        }
        doc["schema"] = nullptr;
        doc["hex"] = hex;
        return doc;
    }
    doc["schema"] = {{"name", schema->name}, {"version", schema->version}, {"blds", schema->blds}};
    auto fields = schema::payload_fields(schema->blds, slot.payload);
    if (!fields) {
        doc["error"] = fields.error().message;
        return doc;
    }
    doc["fields"] = fields_json(*fields);
    return doc;
}

}  // namespace pylabhub::host
