#include "scaffold/plugin_templates.hpp"

namespace pylabhub::host {
namespace {

constexpr std::string_view kCMake = R"(# Builds @NAME@.so against an installed pyLabHub SDK:
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=<pylabhub prefix>   (not needed for /usr)
#   cmake --build build
#   pylabhub inspect --plugin-path build @NAME@
cmake_minimum_required(VERSION 3.25)
project(@NAME@ CXX)
find_package(pylabhub 1.1 REQUIRED)
pylabhub_add_plugin(@NAME@ @NAME@.cpp)
)";

constexpr std::string_view kReadme = R"(# @NAME@

A pyLabHub @KIND@ plugin, made by `pylabhub new-plugin`.

    cmake -S . -B build -DCMAKE_PREFIX_PATH=<where pyLabHub is installed>
    cmake --build build
    pylabhub inspect --plugin-path build @NAME@
    pylabhub run @NAME@.yaml --duration 3

Edit `@NAME@.cpp`: its comments say what each function is for. The SDK
guide (docs/sdk-guide.md of pyLabHub) explains config maps, schemas,
pacing, zones and the rules (thread, lifetime, errors).
)";

constexpr std::string_view kProducer = R"(// @NAME@: a producer. Replace the reading in fill() with your instrument's.
#include <chrono>
#include <cstring>

#include <pylabhub/sdk/pacer.hpp>
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class @CLASS@ final : public sdk::Producer {
public:
    static constexpr sdk::PluginInfo info{"@NAME@", "0.1.0", "one reading at rate_hz"};
    // The config map: the host checks user input against it before the constructor runs.
    static constexpr plh_config_entry config[] = {
        sdk::real("rate_hz", "10", "readings per second", 0.01, 100000),
    };
    // The slot layout; consumers that expect another are refused.
    static constexpr plh_schema_desc schema{sizeof(plh_schema_desc), "@NAME@.Reading", "1.0.0", "{t_ns@0:u64;value@8:f64}#16"};

    explicit @CLASS@(sdk::Host host) : Producer(host), pacer_(host, host.config_float("rate_hz")) {
        // Open the device here; throwing fails `create` with your message.
    }

    // Producer thread: wait until the next sample is due (or the device has one).
    WaitResult wait_next(std::chrono::nanoseconds timeout) override { return pacer_.wait(timeout); }

    // Write the sample straight into the shared-memory slot; return its size.
    std::size_t fill(std::span<std::byte> slot) override {
        const std::uint64_t t = host().now_ns();
        const double value = static_cast<double>(count_++);  // read the device here
        std::memcpy(slot.data(), &t, 8);
        std::memcpy(slot.data() + 8, &value, 8);
        pacer_.advance();
        return 16;
    }

private:
    sdk::Pacer pacer_;
    std::uint64_t count_ = 0;
};

} // namespace

PYLABHUB_PLUGIN_LIBRARY(@CLASS@)
)";

constexpr std::string_view kProducerYaml = R"(# @NAME@ -> a recorder. pylabhub run @NAME@.yaml --duration 3
pipeline: @NAME@_demo
plugin_path: build
channels:
  @NAME@_out: {slots: 64, slot_bytes: 64, sync: single_reader}
producers:
  source: {plugin: @NAME@, channel: @NAME@_out, config: {rate_hz: 100}}
consumers:
  rec: {plugin: recorder, inputs: [@NAME@_out], config: {path: @NAME@.plhrec, if_exists: replace}}
)";

constexpr std::string_view kConsumer = R"(// @NAME@: a consumer. Do something useful with each slot in consume().
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class @CLASS@ final : public sdk::Consumer {
public:
    static constexpr sdk::PluginInfo info{"@NAME@", "0.1.0", "counts slots and bytes"};
    static constexpr plh_config_entry config[] = {
        sdk::boolean("verbose", "false", "log every 1000th slot"),
    };

    explicit @CLASS@(sdk::Host host) : Consumer(host), verbose_(host.config_bool("verbose")) {}

    // Consumer thread: `data` is the slot in shared memory, valid during this call.
    void consume(std::span<const std::byte> data, const plh_slot_info& info) override {
        ++slots_;
        bytes_ += data.size();
        if (verbose_ && info.sequence % 1000 == 0) host().info("slot " + std::to_string(info.sequence));
    }

    // After the last slot: write out what is buffered; counters go to the run summary.
    void flush() override {
        host().metric("slots", slots_);
        host().metric("bytes", bytes_);
    }

private:
    bool verbose_;
    std::uint64_t slots_ = 0;
    std::uint64_t bytes_ = 0;
};

} // namespace

PYLABHUB_PLUGIN_LIBRARY(@CLASS@)
)";

constexpr std::string_view kConsumerYaml = R"(# counter -> @NAME@. pylabhub run @NAME@.yaml --duration 3
pipeline: @NAME@_demo
plugin_path: build
channels:
  @NAME@_in: {slots: 64, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: counter, channel: @NAME@_in, config: {rate_hz: 1000}}
consumers:
  sink: {plugin: @NAME@, inputs: [@NAME@_in]}
)";

constexpr std::string_view kProcessor = R"(// @NAME@: a processor. It reads its inputs and writes one channel; here it
// passes every n-th slot on unchanged (same schema out).
#include <algorithm>
#include <cstring>

#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class @CLASS@ final : public sdk::Processor {
public:
    static constexpr sdk::PluginInfo info{"@NAME@", "0.1.0", "every n-th slot of its input"};
    static constexpr plh_config_entry config[] = {
        sdk::integer("every", "10", "pass one slot of this many", 1, 1000000),
    };

    explicit @CLASS@(sdk::Host host) : Processor(host), every_(static_cast<std::uint64_t>(host.config_int("every"))) {
        // The output carries the input's schema (declare another for other data).
        const auto input = host.inputs().at(0);
        if (!input.schema_blds.empty()) host.declare_schema(input.schema_name.c_str(), input.schema_version.c_str(), input.schema_blds);
    }

    // Processor thread: one input slot; write at most one output slot into
    // `out` (the output channel's next slot itself) and return its size; 0 emits nothing.
    std::size_t process(std::span<const std::byte> data, const plh_slot_info&, std::span<std::byte> out) override {
        if (seen_++ % every_ != 0) return 0;
        const std::size_t bytes = std::min(data.size(), out.size());
        std::memcpy(out.data(), data.data(), bytes);
        return bytes;
    }

private:
    std::uint64_t every_;
    std::uint64_t seen_ = 0;
};

} // namespace

PYLABHUB_PLUGIN_LIBRARY(@CLASS@)
)";

constexpr std::string_view kProcessorYaml = R"(# counter -> @NAME@ -> a recorder. pylabhub run @NAME@.yaml --duration 3
pipeline: @NAME@_demo
plugin_path: build
channels:
  @NAME@_in: {slots: 64, slot_bytes: 64, sync: single_reader}
  @NAME@_out: {slots: 64, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: counter, channel: @NAME@_in, config: {rate_hz: 1000}}
processors:
  step: {plugin: @NAME@, inputs: [@NAME@_in], channel: @NAME@_out, config: {every: 10}}
consumers:
  rec: {plugin: recorder, inputs: [@NAME@_out], config: {path: @NAME@.plhrec, if_exists: replace}}
)";

constexpr std::string_view kTransport = R"(// @NAME@: a transport. This one carries a channel through a file (out:
// append each slot; in: read them back, like `tail -f`); replace the file
// with your link: a serial line, a lab network protocol, a bridge.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

constexpr std::uint64_t kEnd = ~std::uint64_t{0};

struct Record {
    std::uint64_t sequence;  // kEnd: the stream ended
    std::uint64_t bytes;
};

class @CLASS@ final : public sdk::Transport {
public:
    static constexpr sdk::PluginInfo info{"@NAME@", "0.1.0", "a channel through a file"};
    static constexpr plh_config_entry config[] = {sdk::required_string("path", "the file the channel goes through")};

    explicit @CLASS@(sdk::Host host) : Transport(host), path_(host.config_string("path")) {
        if (!outbound()) return;
        file_ = std::fopen(path_.c_str(), "wb");
        if (file_ == nullptr) throw sdk::PluginError(PLH_ERR_IO, "cannot write " + path_);
        // What the receiving side needs to create its channel: sync policy, slot size, schema.
        const auto channel = host.inputs().at(0);
        const std::uint64_t head[2] = {channel.sync_policy, channel.slot_bytes};
        std::fwrite(head, sizeof head, 1, file_);
        for (const auto* text : {&channel.schema_name, &channel.schema_version, &channel.schema_blds}) {
            const std::uint64_t size = text->size();
            std::fwrite(&size, sizeof size, 1, file_);
            std::fwrite(text->data(), 1, text->size(), file_);
        }
    }
    ~@CLASS@() override {
        if (file_ != nullptr) std::fclose(file_);
    }

    // Out: one committed slot. Return false when the link cannot take it yet:
    // the host calls again with the same slot (a lossless channel waits).
    bool send(std::span<const std::byte> data, const plh_slot_info& slot, std::chrono::nanoseconds) override {
        const Record record{slot.sequence, data.size()};
        std::fwrite(&record, sizeof record, 1, file_);
        std::fwrite(data.data(), 1, data.size(), file_);
        return true;
    }
    void idle(std::chrono::nanoseconds) override {
        if (file_ != nullptr && outbound()) std::fflush(file_);
    }
    void flush() override {
        if (!outbound()) return;
        const Record end{kEnd, 0};
        std::fwrite(&end, sizeof end, 1, file_);
        std::fflush(file_);
    }

    // In: describe the stream once the sender has (nullptr: not yet).
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
                 schema_blds_.c_str(), head[1], ~std::uint64_t{0}, path_.c_str()};
        return &info_;
    }

    // In: the next slot, written straight into the local channel's slot.
    Received receive(std::span<std::byte> slot, plh_received_slot& got, std::chrono::nanoseconds timeout) override {
        Record record{};
        if (!read_exactly(&record, sizeof record, timeout)) return Received::nothing_yet;
        if (record.sequence == kEnd) return Received::end_of_stream;
        if (record.bytes > slot.size() || !read_exactly(slot.data(), record.bytes, std::chrono::seconds(10))) {
            throw sdk::PluginError(PLH_ERR_CORRUPT, path_ + ": a record is cut off or larger than the slot");
        }
        got.sequence = record.sequence;
        got.commit_ns = 0;  // committed now
        got.bytes = record.bytes;
        return Received::slot;
    }

private:
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

PYLABHUB_PLUGIN_LIBRARY(@CLASS@)
)";

constexpr std::string_view kTransportSendYaml = R"(# counter -> @NAME@ (out). Run this, then @NAME@_receive.yaml:
#   pylabhub run @NAME@_send.yaml && pylabhub run @NAME@_receive.yaml
pipeline: @NAME@_send
plugin_path: build
channels:
  @NAME@_a: {slots: 64, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: counter, channel: @NAME@_a, config: {rate_hz: 1000, count: 2000}}
transports:
  out: {plugin: @NAME@, channel: @NAME@_a, direction: out, config: {path: @NAME@.stream}}
)";

constexpr std::string_view kTransportReceiveYaml = R"(# @NAME@ (in) -> a recorder, with the sender's layout and sequence ids.
pipeline: @NAME@_receive
plugin_path: build
channels:
  @NAME@_b: {slots: 64}
transports:
  in: {plugin: @NAME@, channel: @NAME@_b, direction: in, config: {path: @NAME@.stream}}
consumers:
  rec: {plugin: recorder, inputs: [@NAME@_b], config: {path: @NAME@.plhrec, if_exists: replace}}
)";

}  // namespace

std::vector<TemplateFile> plugin_templates(std::string_view kind) {
    if (kind == "producer")
        return {{"CMakeLists.txt", kCMake}, {"README.md", kReadme}, {"@NAME@.cpp", kProducer}, {"@NAME@.yaml", kProducerYaml}};
    if (kind == "consumer")
        return {{"CMakeLists.txt", kCMake}, {"README.md", kReadme}, {"@NAME@.cpp", kConsumer}, {"@NAME@.yaml", kConsumerYaml}};
    if (kind == "processor")
        return {{"CMakeLists.txt", kCMake}, {"README.md", kReadme}, {"@NAME@.cpp", kProcessor}, {"@NAME@.yaml", kProcessorYaml}};
    if (kind == "transport") {
        return {{"CMakeLists.txt", kCMake},
                {"README.md", kReadme},
                {"@NAME@.cpp", kTransport},
                {"@NAME@_send.yaml", kTransportSendYaml},
                {"@NAME@_receive.yaml", kTransportReceiveYaml}};
    }
    return {};
}

}  // namespace pylabhub::host
