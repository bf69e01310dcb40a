// Parsing BLDS text (docs/schema.md), header-only: plugins (processors
// that work field by field) use it without linking the framework.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "pylabhub/core/result.hpp"

namespace pylabhub::schema {

/// One member of a parsed BLDS struct.
struct BldsField {
    std::string name;                ///< the member's name
    std::size_t offset = 0;          ///< its byte offset in the struct
    std::string scalar;              ///< "u64", "f32", ...; empty for a nested struct
    std::vector<BldsField> members;  ///< of a nested struct
    std::size_t element_size = 0;    ///< of one element (a scalar or one nested struct)
    std::vector<std::size_t> dims;   ///< array dimensions, outer first; empty for one value
};

/// What a parsed BLDS says about its struct.
struct BldsSummary {
    std::size_t struct_size = 0;    ///< sizeof the struct, padding included
    std::size_t member_count = 0;   ///< top-level members
    std::vector<BldsField> fields;  ///< every member, in layout order
};

/// Checks `text` against the grammar and the layout rules (members in
/// order, inside the struct, not overlapping). The error gives the
/// character position and what was expected there.
inline Result<BldsSummary> parse_blds(std::string_view text);

namespace detail {

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
        return make_error(ErrorCode::invalid_argument, "BLDS position " + std::to_string(pos_) + ": " + what + " (found " + found + ")");
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

}  // namespace detail

inline Result<BldsSummary> parse_blds(std::string_view text) { return detail::BldsParser(text).parse(); }

}  // namespace pylabhub::schema
