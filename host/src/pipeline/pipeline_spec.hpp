// A pipeline as written in YAML, with where each part was written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config_value.hpp"

namespace pylabhub::host {

struct ZoneSpec {
    std::string name;
    std::uint64_t bytes = 0;
    SourcePosition position;
};

struct ChannelSpec {
    std::string name;
    SourcePosition position;
    std::uint32_t slots = 64;
    std::uint64_t slot_bytes = 4096;
    std::string sync = "single_reader";
    std::string checksum = "none";
    std::string checksum_mode = "enforced";
    std::uint32_t max_consumers = 8;
    std::uint32_t permissions = 0600;
    /// Created by another pylabhub process on this machine: attach to it.
    bool external = false;
    /// External only: the creating process may be another user's (group sharing).
    bool allow_other_owner = false;
    /// Flexible zones beside the ring: name and size, in order.
    std::vector<ZoneSpec> zones;
    std::map<std::string, SourcePosition> key_positions;  ///< where each key was written
};

/// How a consumer or processor reads one input.
struct InputOptions {
    /// "": the channel's own way (every slot on a lossless channel);
    /// "lossless"; or the id of a read policy (a sync plugin with select).
    std::string read;
    SourcePosition read_position;
    ConfigInputs config;  ///< the read policy's settings
    SourcePosition config_position;
};

struct ComponentSpec {
    std::string id;
    SourcePosition position;
    std::string plugin;
    SourcePosition plugin_position;
    std::vector<std::string> channels;  ///< producer: its one channel; consumer, processor: its inputs
    std::vector<SourcePosition> channel_positions;
    std::vector<InputOptions> inputs;  ///< consumer, processor: one per input, as `channels`
    std::string output;                ///< producer, processor: the channel it writes
    SourcePosition output_position;
    ConfigInputs config;
    SourcePosition config_position;
    /// Transports: "out" (reads `channels[0]` and sends it) or "in"
    /// (receives and writes `output`, like a producer).
    std::string direction;
    SourcePosition direction_position;
    /// Producers and consumers: "continue", "stop" or "restart"; "" = the pipeline's.
    std::string on_failure;
};

struct PipelineSpec {
    std::string name;
    std::filesystem::path file;
    std::vector<std::string> plugin_path;  ///< resolved against the file's directory
    bool stop_on_failure = false;
    /// on_failure: restart — a failed producer or consumer is started again
    /// (with backoff, at most kMaxRestarts times).
    bool restart_on_failure = false;
    /// The pipeline's `broker:`; none: the default endpoint, embedded if absent.
    std::optional<std::string> broker;
    /// CurveZMQ key files for the broker: its public key, this host's secret key.
    std::string broker_server_key;
    std::string broker_client_key;
    /// `http: {listen: "127.0.0.1:9464"}`: where /metrics, /healthz, /api and the status page are served ("" : not at all).
    std::string http_listen;
    std::vector<ChannelSpec> channels;
    std::vector<ComponentSpec> producers;
    std::vector<ComponentSpec> consumers;
    std::vector<ComponentSpec> processors;  ///< read inputs like consumers, write `output` like producers
    std::vector<ComponentSpec> transports;  ///< `out`: read one channel; `in`: write one channel
};

/// A problem with the pipeline, at a place in its file.
using PipelineProblem = ConfigProblem;

}  // namespace pylabhub::host
