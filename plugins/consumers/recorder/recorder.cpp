// recorder: appends every slot of its input to a file (format:
// docs/recording-format.md) that `pylabhub verify` checks.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pylabhub/recording/description.hpp>
#include <pylabhub/recording/format.hpp>
#include <pylabhub/recording/reader.hpp>
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;
namespace rec = pylabhub::recording;

class Recorder final : public sdk::Consumer {
public:
    static constexpr sdk::PluginInfo info{"recorder", "1.0.0", "appends every slot to a checksummed file; check it with 'pylabhub verify'"};
    static constexpr plh_config_entry config[] = {
        sdk::required_string("path", "file to write"),
        sdk::string("if_exists", "refuse",
                    "when the file exists: refuse (keep it, do not start), replace it, or append (continue a "
                    "recording of the same channel and schema, e.g. after a crash; a torn last record is cut off)"),
        sdk::duration("flush_interval", "100ms", "longest time a record may sit in the write buffer"),
        sdk::duration("clock_interval", "10s", "how often a (monotonic, UTC) clock pair is recorded, for UTC times"),
        sdk::boolean("fsync", "false", "fsync at every flush (survives power loss, costs throughput)"),
    };

    explicit Recorder(sdk::Host host)
        : Consumer(host),
          path_(host.config_string("path")),
          flush_interval_ns_(static_cast<std::uint64_t>(host.config_duration("flush_interval").count())),
          clock_interval_ns_(static_cast<std::uint64_t>(host.config_duration("clock_interval").count())),
          fsync_(host.config_bool("fsync")) {
        const auto inputs = host.inputs();
        if (inputs.size() != 1) throw sdk::ConfigError("the recorder takes exactly one input, not " + std::to_string(inputs.size()));
        const std::string if_exists = host.config_string("if_exists");
        if (if_exists != "refuse" && if_exists != "replace" && if_exists != "append") {
            throw sdk::ConfigError("if_exists: '" + if_exists + "' is not one of refuse, replace, append");
        }
        const int fd = open_locked(if_exists);
        if (appending_) resume(fd, inputs.front());
        file_ = ::fdopen(fd, "ab");
        if (file_ == nullptr) {
            ::close(fd);
            throw sdk::PluginError(PLH_ERR_IO, "cannot open '" + path_ + "': " + std::strerror(errno));
        }
        if (!appending_) write_header(inputs.front());
        write_clock(true);
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
        const std::uint64_t now = host().now_ns();
        if (now - last_clock_ns_ >= clock_interval_ns_) write_clock(false);
        if (now - last_flush_ns_ >= flush_interval_ns_) {
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
    /// The file, opened and locked against a second recorder. `if_exists`
    /// decides what happens to a recording already there.
    int open_locked(const std::string& if_exists) {
        const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (if_exists == "refuse" ? O_EXCL : 0);
        const int fd = ::open(path_.c_str(), flags, 0644);
        if (fd < 0 && errno == EEXIST) {
            throw sdk::PluginError(PLH_ERR_IO,
                                   "'" + path_ +
                                       "' exists (an earlier recording?) and if_exists is refuse: it is "
                                       "kept; record to another path, or set if_exists: append (continue it) or replace");
        }
        if (fd < 0) throw sdk::PluginError(PLH_ERR_IO, "cannot create '" + path_ + "': " + std::strerror(errno));
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);
            throw sdk::PluginError(PLH_ERR_IO, "'" + path_ + "' is being written by another recorder");
        }
        struct stat status {};
        ::fstat(fd, &status);
        appending_ = if_exists == "append" && status.st_size > 0;
        if (if_exists == "replace" && ::ftruncate(fd, 0) != 0) {
            ::close(fd);
            throw sdk::PluginError(PLH_ERR_IO, "cannot replace '" + path_ + "': " + std::strerror(errno));
        }
        return fd;
    }

    /// Appending: the file must record this channel with this schema; a torn
    /// last record (a crash) is cut off, anything corrupt is refused.
    void resume(int fd, const sdk::InputInfo& input) {
        auto refuse = [&](const std::string& why) {
            ::close(fd);
            throw sdk::PluginError(PLH_ERR_IO, "cannot append to '" + path_ + "': " + why);
        };
        std::string why;
        auto reader = rec::Reader::open(path_, why);
        if (!reader) refuse(why);
        if (reader->header().version != rec::kFormatVersion)
            refuse("it has format version " + std::to_string(reader->header().version) + "; record to a new file");
        const auto recorded = rec::parse_description(reader->description(), why);
        if (!recorded) refuse(why);
        if (recorded->channel != input.channel || recorded->schema_hash != input.schema_hash || recorded->slot_bytes != input.slot_bytes) {
            refuse("it records another channel, schema or slot size (channel '" + recorded->channel + "')");
        }
        reader->set_max_payload(input.slot_bytes);
        rec::Record record;
        rec::ReadStatus status;
        while ((status = reader->next(record, why)) == rec::ReadStatus::record) ++resumed_records_;
        if (status == rec::ReadStatus::corrupt) refuse(why + "; check it with 'pylabhub verify'");
        if (status == rec::ReadStatus::torn) {
            host().warn("'" + path_ + "': " + why + "; cut off, appending after the " + std::to_string(resumed_records_) +
                        " intact records");
            if (::ftruncate(fd, static_cast<off_t>(reader->intact_bytes())) != 0) refuse(std::strerror(errno));
        }
        host().info("appending to '" + path_ + "' after " + std::to_string(resumed_records_) + " records");
    }

    void write_clock(bool starts_run) {
        const std::uint64_t monotonic = host().now_ns();
        const auto realtime = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
        const rec::ClockPair clock{monotonic, static_cast<std::uint64_t>(realtime.count())};
        const rec::RecordHeader header = rec::clock_record(clock, starts_run);
        if (std::fwrite(&header, sizeof header, 1, file_) != 1 ||
            std::fwrite(&clock.realtime_ns, sizeof clock.realtime_ns, 1, file_) != 1) {
            throw sdk::PluginError(PLH_ERR_IO, "writing '" + path_ + "': " + std::strerror(errno));
        }
        last_clock_ns_ = monotonic;
    }

    void flush_file() {
        if (std::fflush(file_) != 0 || (fsync_ && ::fsync(::fileno(file_)) != 0)) {
            throw sdk::PluginError(PLH_ERR_IO, "flushing '" + path_ + "': " + std::strerror(errno));
        }
    }

    void write_header(const sdk::InputInfo& input) {
        static constexpr const char* sync_names[] = {"?", "latest_only", "single_reader", "sync_reader"};
        const std::string json =
            rec::to_json({input.channel, host().instance_id(), sync_names[input.sync_policy <= 3 ? input.sync_policy : 0], input.slot_bytes,
                          input.slot_count, input.checksum_policy, input.schema_name, input.schema_version, input.schema_blds,
                          input.schema_hash, input.read_lossless && input.sync_policy != 1});
        rec::FileHeader header{};
        std::memcpy(header.magic, rec::kFileMagic, sizeof header.magic);
        header.version = rec::kFormatVersion;
        header.json_bytes = static_cast<std::uint32_t>(json.size());
        header.created_unix_ns = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
        header.json_checksum = rec::json_checksum(json.data(), json.size());
        header.header_checksum = rec::header_checksum(header);
        if (std::fwrite(&header, sizeof header, 1, file_) != 1 || std::fwrite(json.data(), 1, json.size(), file_) != json.size() ||
            std::fflush(file_) != 0) {
            throw sdk::PluginError(PLH_ERR_IO, "writing the header of '" + path_ + "': " + std::strerror(errno));
        }
    }

    std::string path_;
    std::uint64_t flush_interval_ns_;
    std::uint64_t clock_interval_ns_;
    bool fsync_;
    bool appending_ = false;
    std::uint64_t resumed_records_ = 0;
    std::uint64_t last_clock_ns_ = 0;
    std::FILE* file_ = nullptr;
    std::uint64_t records_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t last_flush_ns_ = 0;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(Recorder)
