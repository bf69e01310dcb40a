#include "recording/recording_file.hpp"

#include <ctime>

#include <nlohmann/json.hpp>

namespace pylabhub::host {

Result<OpenedRecording> open_recording(const std::string& path) {
    std::string why;
    auto reader = recording::Reader::open(path, why);
    if (!reader) return make_error(ErrorCode::invalid_argument, path + ": " + why);
    RecordingDescription d;
    try {
        const nlohmann::json j = nlohmann::json::parse(reader->description());
        d.channel = j.at("channel").get<std::string>();
        d.sync = j.at("sync").get<std::string>();
        d.slot_bytes = j.at("slot_bytes").get<std::uint64_t>();
        const nlohmann::json& schema = j.at("schema");
        d.schema_name = schema.value("name", "");
        d.schema_version = schema.value("version", "");
        d.schema_blds = schema.value("blds", "");
        d.schema_hash = schema.value("hash", "");
    } catch (const nlohmann::json::exception& e) {
        // The checksum matched, so the recorder wrote it this way: not ours.
        return make_error(ErrorCode::corrupt, path + ": the header description is not a recorder's: " + e.what());
    }
    reader->set_max_payload(d.slot_bytes);
    return OpenedRecording{std::move(reader).value(), std::move(d)};
}

std::string utc_text(std::int64_t unix_ns) {
    const std::time_t seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000);
    const long micros = static_cast<long>((unix_ns % 1'000'000'000) / 1000);
    std::tm parts{};
    ::gmtime_r(&seconds, &parts);
    char text[48];
    const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    std::snprintf(text + n, sizeof text - n, ".%06ldZ", micros);
    return text;
}

} // namespace pylabhub::host
