// downsample: the mean of every `factor` consecutive slots, field by field,
// using the input's BLDS schema; the output has the same schema.
#include <cmath>
#include <cstring>
#include <vector>

#include <pylabhub/schema/blds_parser.hpp>
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;
namespace schema = pylabhub::schema;

/// One numeric scalar of the layout (an array is one per element).
struct Scalar {
    std::size_t offset;
    std::string type;
};

void flatten(const std::vector<schema::BldsField>& fields, std::size_t base, std::vector<Scalar>& out) {
    for (const auto& field : fields) {
        std::size_t count = 1;
        for (const auto d : field.dims) count *= d;
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t at = base + field.offset + i * field.element_size;
            if (!field.members.empty()) flatten(field.members, at, out);
            else if (field.scalar != "bool" && field.scalar != "char") out.push_back({at, field.scalar});
        }
    }
}

template <typename T>
double load(const std::byte* at) {
    T value;
    std::memcpy(&value, at, sizeof value);
    return static_cast<double>(value);
}

template <typename T>
void store(std::byte* at, double value) {
    const T typed = std::is_integral_v<T> ? static_cast<T>(std::llround(value)) : static_cast<T>(value);
    std::memcpy(at, &typed, sizeof typed);
}

double load_scalar(const std::string& type, const std::byte* at) {
    if (type == "f64") return load<double>(at);
    if (type == "f32") return load<float>(at);
    if (type == "u64") return load<std::uint64_t>(at);
    if (type == "i64") return load<std::int64_t>(at);
    if (type == "u32") return load<std::uint32_t>(at);
    if (type == "i32") return load<std::int32_t>(at);
    if (type == "u16") return load<std::uint16_t>(at);
    if (type == "i16") return load<std::int16_t>(at);
    if (type == "u8") return load<std::uint8_t>(at);
    return load<std::int8_t>(at);
}

void store_scalar(const std::string& type, std::byte* at, double value) {
    if (type == "f64") store<double>(at, value);
    else if (type == "f32") store<float>(at, value);
    else if (type == "u64") store<std::uint64_t>(at, value);
    else if (type == "i64") store<std::int64_t>(at, value);
    else if (type == "u32") store<std::uint32_t>(at, value);
    else if (type == "i32") store<std::int32_t>(at, value);
    else if (type == "u16") store<std::uint16_t>(at, value);
    else if (type == "i16") store<std::int16_t>(at, value);
    else if (type == "u8") store<std::uint8_t>(at, value);
    else store<std::int8_t>(at, value);
}

class Downsample final : public sdk::Processor {
public:
    static constexpr sdk::PluginInfo info{"downsample", "1.0.0", "mean of every `factor` slots, field by field (same schema out)"};
    static constexpr plh_config_entry config[] = {
        sdk::integer("factor", "10", "slots averaged into one", 1, 1e9),
        sdk::boolean("emit_partial", "false", "at the end, emit the mean of a last incomplete window too")};

    explicit Downsample(sdk::Host host)
        : Processor(host), factor_(static_cast<std::uint64_t>(host.config_int("factor"))), partial_(host.config_bool("emit_partial")) {
        const auto inputs = host.inputs();
        if (inputs.size() != 1) throw sdk::ConfigError("downsample reads exactly one input, not " + std::to_string(inputs.size()));
        const sdk::InputInfo& in = inputs.front();
        if (in.schema_blds.empty()) {
            throw sdk::ConfigError("input '" + in.channel + "' has no schema; downsample averages fields and needs one");
        }
        auto parsed = schema::parse_blds(in.schema_blds);
        if (!parsed) throw sdk::ConfigError("input '" + in.channel + "': " + parsed.error().message);
        struct_size_ = parsed->struct_size;
        flatten(parsed->fields, 0, scalars_);
        sums_.assign(scalars_.size(), 0.0);
        last_.resize(struct_size_);
        host.declare_schema(in.schema_name.c_str(), in.schema_version.c_str(), in.schema_blds);
    }

    std::size_t process(std::span<const std::byte> data, const plh_slot_info&, std::span<std::byte> out) override {
        if (data.size() < struct_size_) {
            throw sdk::PluginError(
                PLH_ERR_CORRUPT,
                "a slot of " + std::to_string(data.size()) + " bytes is shorter than its schema (" + std::to_string(struct_size_) + ")");
        }
        for (std::size_t i = 0; i < scalars_.size(); ++i) sums_[i] += load_scalar(scalars_[i].type, data.data() + scalars_[i].offset);
        std::memcpy(last_.data(), data.data(), struct_size_);
        return ++count_ == factor_ ? emit(out) : 0;
    }

    std::size_t flush(std::span<std::byte> out) override { return partial_ && count_ > 0 ? emit(out) : 0; }

private:
    /// Non-numeric fields (bool, char) keep the window's last value.
    std::size_t emit(std::span<std::byte> out) {
        if (out.size() < struct_size_) throw sdk::PluginError(PLH_ERR_INVALID, "the output slot is smaller than the schema");
        std::memcpy(out.data(), last_.data(), struct_size_);
        for (std::size_t i = 0; i < scalars_.size(); ++i) {
            store_scalar(scalars_[i].type, out.data() + scalars_[i].offset, sums_[i] / static_cast<double>(count_));
        }
        sums_.assign(scalars_.size(), 0.0);
        count_ = 0;
        host().metric("windows");
        return struct_size_;
    }

    std::uint64_t factor_;
    bool partial_;
    std::size_t struct_size_ = 0;
    std::vector<Scalar> scalars_;
    std::vector<double> sums_;
    std::vector<std::byte> last_;
    std::uint64_t count_ = 0;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(Downsample)
