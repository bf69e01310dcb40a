#include "recording/recording_file.hpp"

#include <ctime>

namespace pylabhub::host {

Result<OpenedRecording> open_recording(const std::string& path) {
    std::string why;
    auto reader = recording::Reader::open(path, why);
    if (!reader) return make_error(ErrorCode::invalid_argument, path + ": " + why);
    auto d = recording::parse_description(reader->description(), why);
    if (!d) return make_error(ErrorCode::corrupt, path + ": " + why);
    reader->set_max_payload(d->slot_bytes);
    return OpenedRecording{std::move(reader).value(), std::move(d).value()};
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

}  // namespace pylabhub::host
