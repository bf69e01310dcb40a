#include "pipeline/channel_directory.hpp"

#include <cstdlib>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace pylabhub::host {

std::filesystem::path channel_directory() {
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime != '\0') {
        return std::filesystem::path(runtime) / "pylabhub";
    }
    return std::filesystem::path("/tmp") / ("pylabhub-" + std::to_string(::getuid()));
}

Result<std::filesystem::path> publish_channel(const PublishedChannel& channel) {
    const auto directory = channel_directory();
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    ::chmod(directory.c_str(), 0700);  // the secrets in it are for this user only
    nlohmann::json doc = {
        {"channel", channel.channel},       {"shm", channel.shm_name},
        {"secret", crypto::to_hex(channel.secret)}, {"producer_pid", channel.producer_pid},
        {"pipeline", channel.pipeline},
    };
    if (channel.schema) {
        doc["schema"] = {{"name", channel.schema->name}, {"version", channel.schema->version},
                         {"blds", channel.schema->blds}, {"hash", channel.schema_hash_hex}};
    }
    const auto path = directory / (channel.channel + ".json");
    const auto temporary = directory / (channel.channel + ".json.tmp");
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(ErrorCode::permission_denied, "cannot write " + temporary.string());
    const std::string text = doc.dump(2) + "\n";
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!written || std::rename(temporary.c_str(), path.c_str()) != 0) {
        return make_error(ErrorCode::system, "cannot write " + path.string());
    }
    return path;
}

Result<PublishedChannel> find_published_channel(const std::string& channel) {
    const auto path = channel_directory() / (channel + ".json");
    std::ifstream in(path);
    if (!in) {
        return make_error(ErrorCode::not_found, "channel '" + channel +
                                                    "' is external, but no pylabhub process of this user has created it (" +
                                                    path.string() + " does not exist): start the pipeline that produces it first");
    }
    try {
        const auto doc = nlohmann::json::parse(in);
        PublishedChannel found;
        found.channel = doc.at("channel").get<std::string>();
        found.shm_name = doc.at("shm").get<std::string>();
        auto secret = crypto::from_hex_fixed<32>(doc.at("secret").get<std::string>());
        if (!secret) return make_error(ErrorCode::corrupt, path.string() + ": secret: " + secret.error().message);
        found.secret = *secret;
        found.producer_pid = doc.value("producer_pid", 0ULL);
        found.pipeline = doc.value("pipeline", "");
        if (doc.contains("schema")) {
            const auto& s = doc["schema"];
            found.schema = SchemaDescription{s.at("name").get<std::string>(), s.at("version").get<std::string>(),
                                             s.at("blds").get<std::string>()};
            found.schema_hash_hex = s.value("hash", "");
        }
        return found;
    } catch (const std::exception& e) {
        return make_error(ErrorCode::corrupt, path.string() + " is not a channel description: " + e.what());
    }
}

} // namespace pylabhub::host
