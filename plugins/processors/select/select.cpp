// select: a subset of the input's top-level fields, packed in the order
// given (each at its natural alignment), as a new schema.
#include <algorithm>
#include <cstring>
#include <vector>

#include <pylabhub/schema/blds_parser.hpp>
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;
namespace schema = pylabhub::schema;

/// The BLDS type text of a parsed field, as the grammar writes it.
std::string type_text(const schema::BldsField& field);

std::string struct_text(const std::vector<schema::BldsField>& members, std::size_t size) {
    std::string text = "{";
    for (std::size_t i = 0; i < members.size(); ++i) {
        if (i > 0) text += ";";
        text += members[i].name + "@" + std::to_string(members[i].offset) + ":" + type_text(members[i]);
    }
    return text + "}#" + std::to_string(size);
}

std::string type_text(const schema::BldsField& field) {
    std::string text = field.members.empty() ? field.scalar : struct_text(field.members, field.element_size);
    for (const auto d : field.dims) text += "[" + std::to_string(d) + "]";
    return text;
}

/// A C compiler's alignment of the field: its largest scalar.
std::size_t alignment(const schema::BldsField& field) {
    if (field.members.empty()) return field.element_size;
    std::size_t largest = 1;
    for (const auto& m : field.members) largest = std::max(largest, alignment(m));
    return largest;
}

std::size_t total_bytes(const schema::BldsField& field) {
    std::size_t bytes = field.element_size;
    for (const auto d : field.dims) bytes *= d;
    return bytes;
}

class Select final : public sdk::Processor {
public:
    static constexpr sdk::PluginInfo info{"select", "1.0.0", "a subset of the input's fields, as a new schema"};
    static constexpr plh_config_entry config[] = {
        sdk::required(sdk::string_list("fields", "top-level fields to keep, in the output's order")),
        sdk::string("schema_name", "", "the output schema's name (default: the input's, with '.select')")};

    explicit Select(sdk::Host host) : Processor(host) {
        const auto inputs = host.inputs();
        if (inputs.size() != 1) throw sdk::ConfigError("select reads exactly one input, not " + std::to_string(inputs.size()));
        const sdk::InputInfo& in = inputs.front();
        if (in.schema_blds.empty()) throw sdk::ConfigError("input '" + in.channel + "' has no schema; select needs its field names");
        auto parsed = schema::parse_blds(in.schema_blds);
        if (!parsed) throw sdk::ConfigError("input '" + in.channel + "': " + parsed.error().message);
        in_size_ = parsed->struct_size;
        std::vector<schema::BldsField> chosen;
        std::size_t end = 0, largest = 1;
        for (const auto& name : host.config_list("fields")) {
            const auto found = std::find_if(parsed->fields.begin(), parsed->fields.end(), [&](const auto& f) { return f.name == name; });
            if (found == parsed->fields.end()) {
                std::string known;
                for (const auto& f : parsed->fields) known += " " + f.name;
                throw sdk::ConfigError("fields: '" + name + "' is not a field of '" + in.schema_name + "' (fields:" + known + ")");
            }
            if (std::any_of(chosen.begin(), chosen.end(), [&](const auto& f) { return f.name == name; })) {
                throw sdk::ConfigError("fields: '" + name + "' is listed twice");
            }
            schema::BldsField field = *found;
            const std::size_t align = alignment(field);
            largest = std::max(largest, align);
            field.offset = (end + align - 1) / align * align;
            copies_.push_back({found->offset, field.offset, total_bytes(field)});
            end = field.offset + total_bytes(field);
            chosen.push_back(std::move(field));
        }
        out_size_ = (end + largest - 1) / largest * largest;
        const std::string blds = struct_text(chosen, out_size_);
        std::string name = host.config_string("schema_name");
        if (name.empty()) name = in.schema_name + ".select";
        host.declare_schema(name.c_str(), in.schema_version.c_str(), blds);
    }

    std::size_t process(std::span<const std::byte> data, const plh_slot_info&, std::span<std::byte> out) override {
        if (data.size() < in_size_) throw sdk::PluginError(PLH_ERR_CORRUPT, "a slot is shorter than its schema");
        if (out.size() < out_size_) throw sdk::PluginError(PLH_ERR_INVALID, "the output slot is smaller than the selected schema");
        std::memset(out.data(), 0, out_size_);  // padding is zero, never stale bytes
        for (const auto& c : copies_) std::memcpy(out.data() + c.to, data.data() + c.from, c.bytes);
        return out_size_;
    }

private:
    struct Copy {
        std::size_t from, to, bytes;
    };
    std::vector<Copy> copies_;
    std::size_t in_size_ = 0;
    std::size_t out_size_ = 0;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(Select)
