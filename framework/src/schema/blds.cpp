#include "pylabhub/schema/blds.hpp"

#include <cstdio>
#include <cstring>
#include <set>

namespace pylabhub::schema {

namespace {

constexpr int kMaxNesting = 32;  // BLDS can arrive from the network: bound the recursion

class BldsParser {
public:
    explicit BldsParser(std::string_view text) : text_(text) {}

    Result<BldsSummary> parse() {
        BldsSummary summary;
        auto size = parse_struct(0, &summary.member_count, &summary.fields);
        if (!size) return std::move(size).error();
        if (pos_ != text_.size()) return fail("unexpected text after the closing '#size'");
        summary.struct_size = *size;
        return summary;
    }

private:
    Error fail(const std::string& what) const {
        std::string found = pos_ < text_.size() ? "'" + std::string(1, text_[pos_]) + "'" : "end of text";
        return make_error(ErrorCode::invalid_argument,
                          "BLDS position " + std::to_string(pos_) + ": " + what + " (found " + found + ")");
    }
    bool accept(char c) {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

    Result<std::size_t> number(const char* what) {
        const std::size_t start = pos_;
        std::size_t value = 0;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            if (value > (SIZE_MAX - 9) / 10) return fail(std::string(what) + " is too large");
            value = value * 10 + static_cast<std::size_t>(text_[pos_] - '0');
            ++pos_;
        }
        if (pos_ == start) return fail(std::string("expected ") + what);
        return value;
    }

    std::string_view identifier() {
        const std::size_t start = pos_;
        auto is_start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
        auto is_rest = [&](char c) { return is_start(c) || (c >= '0' && c <= '9'); };
        if (pos_ < text_.size() && is_start(text_[pos_])) {
            ++pos_;
            while (pos_ < text_.size() && is_rest(text_[pos_])) ++pos_;
        }
        return text_.substr(start, pos_ - start);
    }

    /// A layout describes one slot, and a slot is at most 1 GiB: bounding
    /// every size here keeps offsets + sizes far from overflow.
    static constexpr std::size_t kMaxStructBytes = std::size_t{1} << 30;

    Result<std::size_t> parse_type(int depth, BldsField& field) {
        std::size_t size = 0;
        if (peek('{')) {
            auto nested = parse_struct(depth + 1, nullptr, &field.members);
            if (!nested) return nested;
            size = *nested;
        } else {
            static constexpr std::pair<std::string_view, std::size_t> scalars[] = {
                {"i8", 1},  {"i16", 2}, {"i32", 4}, {"i64", 8}, {"u8", 1},   {"u16", 2},
                {"u32", 4}, {"u64", 8}, {"f32", 4}, {"f64", 8}, {"bool", 1}, {"char", 1},
            };
            const std::size_t start = pos_;
            const std::string_view id = identifier();
            for (const auto& [name, bytes] : scalars) {
                if (id == name) {
                    size = bytes;
                    field.scalar = std::string(name);
                }
            }
            if (size == 0) {
                pos_ = start;
                return fail("expected a scalar type (i8..i64, u8..u64, f32, f64, bool, char) or '{'");
            }
        }
        field.element_size = size;
        while (accept('[')) {
            auto count = number("array length");
            if (!count) return count;
            if (*count == 0) return fail("array length must be at least 1");
            if (!accept(']')) return fail("expected ']'");
            if (size > kMaxStructBytes / *count) return fail("array is larger than 1 GiB, the largest slot");
            size *= *count;
            field.dims.push_back(*count);
        }
        return size;
    }

    Result<std::size_t> parse_struct(int depth, std::size_t* member_count, std::vector<BldsField>* fields) {
        if (depth > kMaxNesting) return fail("structs nested deeper than " + std::to_string(kMaxNesting));
        if (!accept('{')) return fail("expected '{'");
        std::set<std::string_view> names;
        std::size_t end = 0;
        std::size_t count = 0;
        if (!peek('}')) {
            do {
                const std::string_view name = identifier();
                if (name.empty()) return fail("expected a member name");
                if (!names.insert(name).second) return fail("member '" + std::string(name) + "' appears twice");
                if (!accept('@')) return fail("expected '@' after the member name");
                auto offset = number("member offset");
                if (!offset) return offset;
                if (*offset < end) return fail("member '" + std::string(name) + "' overlaps the member before it");
                if (*offset > kMaxStructBytes) return fail("member offset is beyond 1 GiB, the largest slot");
                if (!accept(':')) return fail("expected ':' after the offset");
                BldsField field;
                field.name = std::string(name);
                field.offset = *offset;
                auto size = parse_type(depth, field);
                if (!size) return size;
                if (fields != nullptr) fields->push_back(std::move(field));
                end = *offset + *size;
                ++count;
            } while (accept(';'));
        }
        if (!accept('}')) return fail("expected ';' or '}'");
        if (!accept('#')) return fail("expected '#' and the struct size after '}'");
        auto size = number("struct size");
        if (!size) return size;
        if (*size < end || *size == 0) return fail("struct size " + std::to_string(*size) + " is smaller than its members");
        if (*size > kMaxStructBytes) return fail("struct size " + std::to_string(*size) + " is larger than 1 GiB, the largest slot");
        if (member_count != nullptr) *member_count = count;
        return *size;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

} // namespace

Result<BldsSummary> parse_blds(std::string_view text) { return BldsParser(text).parse(); }

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
    }
    else return "?";
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

} // namespace

Result<std::vector<PayloadField>> payload_fields(std::string_view blds, std::span<const std::byte> payload) {
    auto summary = parse_blds(blds);
    if (!summary) return std::move(summary).error();
    if (payload.size() < summary->struct_size) {
        return make_error(ErrorCode::mismatch, "payload of " + std::to_string(payload.size()) +
                                                   " bytes is smaller than its schema (" + std::to_string(summary->struct_size) + ")");
    }
    std::vector<PayloadField> out;
    flatten_fields(summary->fields, payload.data(), "", out);
    return out;
}

Result<std::string> format_payload(std::string_view blds, std::span<const std::byte> payload, std::size_t max_elements) {
    auto summary = parse_blds(blds);
    if (!summary) return std::move(summary).error();
    if (payload.size() < summary->struct_size) {
        return make_error(ErrorCode::mismatch, "payload of " + std::to_string(payload.size()) +
                                                   " bytes is smaller than its schema (" +
                                                   std::to_string(summary->struct_size) + ")");
    }
    std::string out;
    format_fields(summary->fields, payload.data(), max_elements, out);
    return out;
}

} // namespace pylabhub::schema
