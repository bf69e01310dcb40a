// recorder: appends every slot of its input to a file (format:
// docs/recording-format.md) that `pylabhub verify` checks.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <unistd.h>

#include <pylabhub/recording/format.hpp>
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;
namespace rec = pylabhub::recording;

std::string json_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out += c;
    }
    return out;
}

class Recorder final : public sdk::Consumer {
public:
    static constexpr sdk::PluginInfo info{"recorder", "1.0.0", "appends every slot to a checksummed file; check it with 'pylabhub verify'"};
    static constexpr plh_config_entry config[] = {
        sdk::required_string("path", "file to write (replaced if it exists)"),
        sdk::duration("flush_interval", "100ms", "longest time a record may sit in the write buffer"),
        sdk::boolean("fsync", "false", "fsync at every flush (survives power loss, costs throughput)"),
    };

    explicit Recorder(sdk::Host host)
        : Consumer(host), path_(host.config_string("path")), flush_interval_ns_(static_cast<std::uint64_t>(host.config_duration("flush_interval").count())),
          fsync_(host.config_bool("fsync")) {
        const auto inputs = host.inputs();
        if (inputs.size() != 1) throw sdk::ConfigError("the recorder takes exactly one input, not " + std::to_string(inputs.size()));
        file_ = std::fopen(path_.c_str(), "wb");
        if (file_ == nullptr) throw sdk::PluginError(PLH_ERR_IO, "cannot create '" + path_ + "': " + std::strerror(errno));
        write_header(inputs.front());
        last_flush_ns_ = host.now_ns();
    }

    ~Recorder() override {
        if (file_ != nullptr) std::fclose(file_);
    }

    void consume(std::span<const std::byte> data, const plh_slot_info& slot) override {
        rec::RecordHeader header{rec::kRecordMagic, static_cast<std::uint32_t>(data.size()), slot.sequence, slot.commit_ns, 0};
        header.checksum = rec::record_checksum(header, data.data());
        static constexpr std::byte zeros[8] = {};
        if (std::fwrite(&header, sizeof header, 1, file_) != 1 || std::fwrite(data.data(), 1, data.size(), file_) != data.size() ||
            std::fwrite(zeros, 1, rec::padded(data.size()) - data.size(), file_) != rec::padded(data.size()) - data.size()) {
            throw sdk::PluginError(PLH_ERR_IO, "writing '" + path_ + "': " + std::strerror(errno));
        }
        ++records_;
        bytes_ += data.size();
        if (const std::uint64_t now = host().now_ns(); now - last_flush_ns_ >= flush_interval_ns_) {
            flush_file();
            last_flush_ns_ = now;
        }
    }

    void flush() override {
        flush_file();
        host().metric("records", records_);
        host().metric("bytes", bytes_);
        host().info("wrote " + std::to_string(records_) + " records to " + path_);
    }

private:
    void flush_file() {
        if (std::fflush(file_) != 0 || (fsync_ && ::fsync(::fileno(file_)) != 0)) {
            throw sdk::PluginError(PLH_ERR_IO, "flushing '" + path_ + "': " + std::strerror(errno));
        }
    }

    void write_header(const sdk::InputInfo& input) {
        static constexpr const char* sync_names[] = {"?", "latest_only", "single_reader", "sync_reader"};
        const std::string json =
            std::string("{\"format\":\"pylabhub-recording\",\"version\":1") + ",\"channel\":\"" + json_escape(input.channel) +
            "\",\"instance\":\"" + json_escape(host().instance_id()) + "\",\"slot_bytes\":" + std::to_string(input.slot_bytes) +
            ",\"slot_count\":" + std::to_string(input.slot_count) + ",\"sync\":\"" +
            sync_names[input.sync_policy <= 3 ? input.sync_policy : 0] + "\",\"checksum_policy\":" +
            std::to_string(input.checksum_policy) + ",\"schema\":{\"name\":\"" + json_escape(input.schema_name) +
            "\",\"version\":\"" + json_escape(input.schema_version) + "\",\"blds\":\"" + json_escape(input.schema_blds) +
            "\",\"hash\":\"" + json_escape(input.schema_hash) + "\"}}";
        rec::FileHeader header{};
        std::memcpy(header.magic, rec::kFileMagic, sizeof header.magic);
        header.version = rec::kFormatVersion;
        header.json_bytes = static_cast<std::uint32_t>(json.size());
        header.created_unix_ns = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
        header.json_checksum = rec::json_checksum(json.data(), json.size());
        if (std::fwrite(&header, sizeof header, 1, file_) != 1 || std::fwrite(json.data(), 1, json.size(), file_) != json.size() ||
            std::fflush(file_) != 0) {
            throw sdk::PluginError(PLH_ERR_IO, "writing the header of '" + path_ + "': " + std::strerror(errno));
        }
    }

    std::string path_;
    std::uint64_t flush_interval_ns_;
    bool fsync_;
    std::FILE* file_ = nullptr;
    std::uint64_t records_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t last_flush_ns_ = 0;
};

} // namespace

PYLABHUB_PLUGIN_LIBRARY(Recorder)
