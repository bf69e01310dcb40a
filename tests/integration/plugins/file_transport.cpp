// A transport written against the SDK outside the plugin tree: `file` sends
// a channel into a file and receives it from there (like `tail -f`). It
// shows what sdk::Transport asks of a transport, and that the host runs one
// it has never seen.
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "pylabhub/sdk/plugin.hpp"

namespace {

using namespace pylabhub;

constexpr std::uint64_t kEnd = ~std::uint64_t{0};

struct Record {
    std::uint64_t sequence;  // kEnd: the stream ended
    std::uint64_t commit_ns;
    std::uint64_t bytes;
};

class FileTransport : public sdk::Transport {
public:
    static constexpr sdk::PluginInfo info{"file", "1.0.0", "a channel through a file (a test of the transport SDK)"};
    static constexpr plh_config_entry config[] = {sdk::required_string("path", "the file")};

    explicit FileTransport(sdk::Host host) : Transport(host), path_(host.config_string("path")) {
        if (!outbound()) return;
        file_ = std::fopen(path_.c_str(), "wb");
        if (file_ == nullptr) throw sdk::PluginError(PLH_ERR_IO, "cannot write " + path_);
        const auto channel = host.inputs().at(0);
        const std::uint64_t head[2] = {channel.sync_policy, channel.slot_bytes};
        std::fwrite(head, sizeof head, 1, file_);
        for (const auto* text : {&channel.schema_name, &channel.schema_version, &channel.schema_blds}) {
            const std::uint64_t size = text->size();
            std::fwrite(&size, sizeof size, 1, file_);
            std::fwrite(text->data(), 1, text->size(), file_);
        }
        std::fflush(file_);
    }
    ~FileTransport() override {
        if (file_ != nullptr) std::fclose(file_);
    }

    bool send(std::span<const std::byte> data, const plh_slot_info& slot, std::chrono::nanoseconds) override {
        const Record record{slot.sequence, slot.commit_ns, data.size()};
        std::fwrite(&record, sizeof record, 1, file_);
        std::fwrite(data.data(), 1, data.size(), file_);
        return true;
    }
    void idle(std::chrono::nanoseconds) override {
        if (file_ != nullptr && outbound()) std::fflush(file_);
    }
    void flush() override {
        if (!outbound()) return;
        const Record end{kEnd, 0, 0};
        std::fwrite(&end, sizeof end, 1, file_);
        std::fflush(file_);
    }

    const plh_stream_info* stream(std::chrono::nanoseconds timeout) override {
        if (file_ == nullptr) file_ = std::fopen(path_.c_str(), "rb");
        std::uint64_t head[2] = {};
        if (file_ == nullptr || !read_exactly(head, sizeof head, timeout)) return nullptr;
        for (auto* text : {&schema_name_, &schema_version_, &schema_blds_}) {
            std::uint64_t size = 0;
            if (!read_exactly(&size, sizeof size, timeout)) return nullptr;
            text->resize(size);
            if (!read_exactly(text->data(), size, timeout)) return nullptr;
        }
        info_ = {sizeof(plh_stream_info), static_cast<uint32_t>(head[0]), schema_name_.c_str(), schema_version_.c_str(),
                 schema_blds_.c_str(), head[1], kEnd, path_.c_str()};
        return &info_;
    }

    Received receive(std::span<std::byte> slot, plh_received_slot& got, std::chrono::nanoseconds timeout) override {
        Record record{};
        if (!read_exactly(&record, sizeof record, timeout)) return Received::nothing_yet;
        if (record.sequence == kEnd) return Received::end_of_stream;
        if (record.bytes > slot.size()) throw sdk::PluginError(PLH_ERR_CORRUPT, "a record is larger than the slot");
        if (!read_exactly(slot.data(), record.bytes, std::chrono::seconds(10))) {
            throw sdk::PluginError(PLH_ERR_CORRUPT, path_ + " ends inside a record");
        }
        got.sequence = record.sequence;
        got.commit_ns = 0;  // the file keeps no clock pair: committed now
        got.bytes = record.bytes;
        return Received::slot;
    }

private:
    /// Reads `size` bytes, waiting for a writer still appending; false (and
    /// nothing consumed) when they are not all there within `timeout`.
    bool read_exactly(void* out, std::size_t size, std::chrono::nanoseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        const long start = std::ftell(file_);
        for (;;) {
            std::clearerr(file_);
            if (std::fread(out, 1, size, file_) == size) return true;
            std::fseek(file_, start, SEEK_SET);
            if (std::chrono::steady_clock::now() >= deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }

    std::string path_;
    std::FILE* file_ = nullptr;
    std::string schema_name_, schema_version_, schema_blds_;
    plh_stream_info info_{};
};

} // namespace

PYLABHUB_PLUGIN_LIBRARY(FileTransport)
