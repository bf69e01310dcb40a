// BLDS: the canonical text that describes the memory layout of a slot type.
//
//   struct := '{' [member (';' member)*] '}' '#' SIZE
//   member := NAME '@' OFFSET ':' type
//   type   := (SCALAR | struct) ('[' COUNT ']')*
//   SCALAR := i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 bool char
//
// e.g. struct { uint64_t seq; double t; float v[8]; } is
//   {seq@0:u64;t@8:f64;v@16:f32[8]}#48
// Offsets and sizes are part of the text, so reordering, retyping or
// repadding a struct changes it, and so its BLAKE2b hash. Names are part of
// it too: a renamed field is a different meaning. docs/schema.md has the rules.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "pylabhub/core/result.hpp"
#include "pylabhub/schema/blds_parser.hpp"

namespace pylabhub::schema {

/// Specialised by PYLABHUB_SCHEMA_BEGIN/END; the primary template is never defined.
template <typename T>
struct SchemaTraits;

template <typename T>
concept Registered = requires {
    { SchemaTraits<T>::name } -> std::convertible_to<std::string_view>;
    { SchemaTraits<T>::version } -> std::convertible_to<std::string_view>;
};

/// A registration that does not describe its struct (a member left out,
/// members out of order): a programming error, reported on first use.
class SchemaDefinitionError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

namespace detail {

template <typename>
inline constexpr bool always_false = false;

template <typename T>
struct is_std_array : std::false_type {};
template <typename T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

template <typename M>
constexpr std::string_view scalar_id() {
    if constexpr (std::is_enum_v<M>) {
        return scalar_id<std::underlying_type_t<M>>();
    } else if constexpr (std::is_same_v<M, bool>) {
        return "bool";
    } else if constexpr (std::is_same_v<M, char>) {
        return "char";
    } else if constexpr (std::is_same_v<M, std::byte>) {
        return "u8";
    } else if constexpr (std::is_floating_point_v<M>) {
        static_assert(sizeof(M) == 4 || sizeof(M) == 8, "BLDS supports 32- and 64-bit floating point only");
        return sizeof(M) == 4 ? "f32" : "f64";
    } else if constexpr (std::is_integral_v<M>) {
        constexpr std::string_view signed_ids[] = {"i8", "i16", "", "i32", "", "", "", "i64"};
        constexpr std::string_view unsigned_ids[] = {"u8", "u16", "", "u32", "", "", "", "u64"};
        static_assert(sizeof(M) <= 8, "BLDS integers are at most 64 bits");
        return std::is_signed_v<M> ? signed_ids[sizeof(M) - 1] : unsigned_ids[sizeof(M) - 1];
    } else {
        return {};
    }
}

}  // namespace detail

/// Collects the members of one struct; used by the registration macros.
class BldsBuilder {
public:
    /// Starts a layout for a struct of this name, size and alignment.
    BldsBuilder(std::string_view struct_name, std::size_t struct_size, std::size_t struct_align)
        : struct_name_(struct_name), struct_size_(struct_size), struct_align_(struct_align) {}

    /// `declared_align` is the member's alignas(), when it has one.
    template <typename M>
    void member(std::string_view name, std::size_t offset, std::size_t declared_align = 1) {
        std::string base;
        std::string dims;
        append_type<M>(base, dims);
        members_.push_back({std::string(name), offset, sizeof(M), std::max(alignof(M), declared_align), base + dims});
    }

    /// The BLDS text; throws SchemaDefinitionError when the registered
    /// members cannot be the whole struct.
    std::string finish() const;

private:
    struct Member {
        std::string name;
        std::size_t offset;
        std::size_t size;
        std::size_t align;
        std::string type;
    };

    template <typename M>
    static void append_type(std::string& base, std::string& dims);

    std::string struct_name_;
    std::size_t struct_size_;
    std::size_t struct_align_;
    std::vector<Member> members_;
};

/// BLDS of a registered type.
template <Registered T>
std::string blds_of() {
    BldsBuilder builder(SchemaTraits<T>::name, sizeof(T), alignof(T));
    SchemaTraits<T>::describe(builder);
    return builder.finish();
}

// Inline so that plugins, which use only headers, can register schemas too.
inline std::string BldsBuilder::finish() const {
    const std::string where = "schema '" + struct_name_ + "': ";
    if (members_.empty()) throw SchemaDefinitionError(where + "registers no members");

    for (std::size_t i = 1; i < members_.size(); ++i) {
        if (members_[i].offset < members_[i - 1].offset) {
            throw SchemaDefinitionError(where + "'" + members_[i].name + "' is registered after '" + members_[i - 1].name +
                                        "' but declared before it: register members in declaration order");
        }
    }

    std::string text = "{";
    std::size_t previous_end = 0;
    for (std::size_t i = 0; i < members_.size(); ++i) {
        const Member& m = members_[i];
        if (i == 0 && m.offset != 0) {
            throw SchemaDefinitionError(where + "first registered member '" + m.name + "' is at offset " + std::to_string(m.offset) +
                                        ": a member before it is not registered");
        }
        if (i > 0) {
            const Member& previous = members_[i - 1];
            if (m.offset < previous_end) {
                throw SchemaDefinitionError(where + "'" + m.name + "' overlaps '" + previous.name + "'");
            }
            // Padding before a member is always smaller than its alignment;
            // a larger hole means a member was left out.
            if (m.offset - previous_end >= m.align) {
                throw SchemaDefinitionError(where + std::to_string(m.offset - previous_end) + " bytes between '" + previous.name +
                                            "' and '" + m.name + "' are more than padding: a member there is not registered");
            }
            text += ';';
        }
        text += m.name + "@" + std::to_string(m.offset) + ":" + m.type;
        previous_end = m.offset + m.size;
    }
    if (struct_size_ - previous_end >= struct_align_) {
        throw SchemaDefinitionError(where + std::to_string(struct_size_ - previous_end) + " bytes after '" + members_.back().name +
                                    "' are more than trailing padding: a member there is not registered");
    }
    text += "}#" + std::to_string(struct_size_);
    return text;
}

template <typename M>
void BldsBuilder::append_type(std::string& base, std::string& dims) {
    if constexpr (std::is_array_v<M>) {
        dims += "[" + std::to_string(std::extent_v<M>) + "]";
        append_type<std::remove_extent_t<M>>(base, dims);
    } else if constexpr (detail::is_std_array<M>::value) {
        dims += "[" + std::to_string(std::tuple_size_v<M>) + "]";
        append_type<typename M::value_type>(base, dims);
    } else if constexpr (Registered<M>) {
        base = blds_of<M>();
    } else if constexpr (!detail::scalar_id<M>().empty()) {
        base = std::string(detail::scalar_id<M>());
    } else {
        static_assert(detail::always_false<M>,
                      "this member type has no BLDS form: use fixed-width scalars, fixed-size arrays, "
                      "or a struct registered with PYLABHUB_SCHEMA_BEGIN (no pointers)");
    }
}

/// A payload as text, field by field: "seq=5 t=0.25 value=[0.1, 0.2, …12 more]
/// pos={x=1 y=2}". Arrays longer than `max_elements` are cut short.
Result<std::string> format_payload(std::string_view blds, std::span<const std::byte> payload, std::size_t max_elements = 8);

/// One scalar of a payload: its flattened name ("value[3]", "pos.x") and
/// its value as text. A char array is one field, a string.
struct PayloadField {
    std::string name;      ///< flattened: "value[3]", "pos.x"
    std::string value;     ///< as text
    bool is_text = false;  ///< a char array or a char: quote it in CSV/JSON
};

/// Every scalar of a payload, in layout order, no array cut short: what
/// `pylabhub dump` writes as CSV columns or JSON members.
Result<std::vector<PayloadField>> payload_fields(std::string_view blds, std::span<const std::byte> payload);

}  // namespace pylabhub::schema

/// Registers `Type` (use at global namespace scope, after the struct):
///
///   PYLABHUB_SCHEMA_BEGIN(Sample, "lab.Sample", "1.0.0")
///     PYLABHUB_SCHEMA_MEMBER(seq)
///     PYLABHUB_SCHEMA_MEMBER(value)
///   PYLABHUB_SCHEMA_END(Sample)
///
/// Every member must be listed, in declaration order. A member declared with
/// alignas(N) is listed as PYLABHUB_SCHEMA_MEMBER_ALIGNED(member, N), so the
/// padding before it is not mistaken for a forgotten member.
#define PYLABHUB_SCHEMA_BEGIN(Type, Name, Version)                                                           \
    template <>                                                                                              \
    struct pylabhub::schema::SchemaTraits<Type> {                                                            \
        using type = Type;                                                                                   \
        static_assert(std::is_standard_layout_v<Type>, #Type " must be standard-layout for a schema");       \
        static_assert(std::is_trivially_copyable_v<Type>, #Type " must be trivially copyable for a schema"); \
        static constexpr std::string_view name = Name;                                                       \
        static constexpr std::string_view version = Version;                                                 \
        static void describe(::pylabhub::schema::BldsBuilder& builder) {
#define PYLABHUB_SCHEMA_MEMBER(member_name) builder.member<decltype(type::member_name)>(#member_name, offsetof(type, member_name));

#define PYLABHUB_SCHEMA_MEMBER_ALIGNED(member_name, alignment) \
    builder.member<decltype(type::member_name)>(#member_name, offsetof(type, member_name), alignment);

#define PYLABHUB_SCHEMA_END(Type) \
    }                             \
    }                             \
    ;
