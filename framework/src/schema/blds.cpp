#include "pylabhub/schema/blds.hpp"

#include <cstdio>
#include <cstring>
#include <set>

namespace pylabhub::schema {

namespace {

template <typename T>
T read_as(const std::byte* at) {
    T value;
    std::memcpy(&value, at, sizeof value);
    return value;
}

/// `exact`: floating point with every digit needed to read the value back.
std::string scalar_text(const std::string& id, const std::byte* at, bool exact = false) {
    char text[64];
    if (id == "f32") std::snprintf(text, sizeof text, exact ? "%.9g" : "%g", double(read_as<float>(at)));
    else if (id == "f64") std::snprintf(text, sizeof text, exact ? "%.17g" : "%g", read_as<double>(at));
    else if (id == "u8") std::snprintf(text, sizeof text, "%u", unsigned(read_as<std::uint8_t>(at)));
    else if (id == "u16") std::snprintf(text, sizeof text, "%u", unsigned(read_as<std::uint16_t>(at)));
    else if (id == "u32") std::snprintf(text, sizeof text, "%u", read_as<std::uint32_t>(at));
    else if (id == "u64") std::snprintf(text, sizeof text, "%llu", static_cast<unsigned long long>(read_as<std::uint64_t>(at)));
    else if (id == "i8") std::snprintf(text, sizeof text, "%d", int(read_as<std::int8_t>(at)));
    else if (id == "i16") std::snprintf(text, sizeof text, "%d", int(read_as<std::int16_t>(at)));
    else if (id == "i32") std::snprintf(text, sizeof text, "%d", read_as<std::int32_t>(at));
    else if (id == "i64") std::snprintf(text, sizeof text, "%lld", static_cast<long long>(read_as<std::int64_t>(at)));
    else if (id == "bool") return read_as<std::uint8_t>(at) != 0 ? "true" : "false";
    else if (id == "char") {
        const char c = read_as<char>(at);
        return c >= 32 && c < 127 ? std::string(1, c) : "\\x" + std::to_string(static_cast<unsigned char>(c));
    } else return "?";
    return text;
}

void format_fields(const std::vector<BldsField>& fields, const std::byte* base, std::size_t max_elements, std::string& out);

std::string element_text(const BldsField& field, const std::byte* at, std::size_t max_elements) {
    if (!field.scalar.empty()) return scalar_text(field.scalar, at);
    std::string nested = "{";
    format_fields(field.members, at, max_elements, nested);
    return nested + "}";
}

void format_fields(const std::vector<BldsField>& fields, const std::byte* base, std::size_t max_elements, std::string& out) {
    bool first = true;
    for (const auto& field : fields) {
        if (!first) out += ' ';
        first = false;
        out += field.name + "=";
        const std::byte* at = base + field.offset;
        std::size_t count = 1;
        for (std::size_t d : field.dims) count *= d;
        if (field.dims.empty()) {
            out += element_text(field, at, max_elements);
            continue;
        }
        if (field.scalar == "char") {  // text: print as a string up to its NUL
            std::string text(reinterpret_cast<const char*>(at), count);
            out += "\"" + text.substr(0, text.find('\0')) + "\"";
            continue;
        }
        out += '[';
        for (std::size_t i = 0; i < std::min(count, max_elements); ++i) {
            if (i > 0) out += ", ";
            out += element_text(field, at + i * field.element_size, max_elements);
        }
        if (count > max_elements) out += ", …" + std::to_string(count - max_elements) + " more";
        out += ']';
    }
}

void flatten_fields(const std::vector<BldsField>& fields, const std::byte* base, const std::string& prefix,
                    std::vector<PayloadField>& out) {
    for (const auto& field : fields) {
        const std::string name = prefix + field.name;
        const std::byte* at = base + field.offset;
        std::size_t count = 1;
        for (std::size_t d : field.dims) count *= d;
        if (field.scalar == "char" && !field.dims.empty()) {
            std::string text(reinterpret_cast<const char*>(at), count);
            out.push_back({name, text.substr(0, text.find('\0')), true});
            continue;
        }
        for (std::size_t i = 0; i < count; ++i) {
            const std::string element = field.dims.empty() ? name : name + "[" + std::to_string(i) + "]";
            const std::byte* element_at = at + i * field.element_size;
            if (field.scalar.empty()) {
                flatten_fields(field.members, element_at, element + ".", out);
            } else {
                out.push_back({element, scalar_text(field.scalar, element_at, true), field.scalar == "char"});
            }
        }
    }
}

}  // namespace

Result<std::vector<PayloadField>> payload_fields(std::string_view blds, std::span<const std::byte> payload) {
    auto summary = parse_blds(blds);
    if (!summary) return std::move(summary).error();
    if (payload.size() < summary->struct_size) {
        return make_error(ErrorCode::mismatch,
                          "payload of " + std::to_string(payload.size()) + " bytes is smaller than its schema (" +
                              std::to_string(summary->struct_size) + ")");
    }
    std::vector<PayloadField> out;
    flatten_fields(summary->fields, payload.data(), "", out);
    return out;
}

Result<std::string> format_payload(std::string_view blds, std::span<const std::byte> payload, std::size_t max_elements) {
    auto summary = parse_blds(blds);
    if (!summary) return std::move(summary).error();
    if (payload.size() < summary->struct_size) {
        return make_error(ErrorCode::mismatch,
                          "payload of " + std::to_string(payload.size()) + " bytes is smaller than its schema (" +
                              std::to_string(summary->struct_size) + ")");
    }
    std::string out;
    format_fields(summary->fields, payload.data(), max_elements, out);
    return out;
}

}  // namespace pylabhub::schema
