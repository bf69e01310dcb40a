// Error values for what a caller can handle.
//
// Result<T> is shaped like C++23 std::expected<T, Error> (has_value, value,
// error, operator*, operator->) so that moving to std::expected is a rename.
// GCC 12 in C++20 mode has no <expected>, and Debian 12 ships no
// expected-lite package, hence this small type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace pylabhub {

/// What went wrong, coarsely; Error::message says the rest (which object and why).
enum class ErrorCode : std::uint8_t {
    invalid_argument,   ///< the caller passed something malformed (a bad name, a zero size)
    not_found,          ///< the named object does not exist
    already_exists,     ///< creation refused: the name is taken
    permission_denied,  ///< the OS refused access
    timeout,            ///< the wait ended before the condition held
    busy,               ///< a try-operation found the resource taken
    not_owner,          ///< releasing something the caller does not hold
    mismatch,           ///< two descriptions that must agree do not (schema, layout, policy)
    corrupt,            ///< stored data failed validation
    unrecoverable,      ///< state that cannot be repaired automatically
    closed,             ///< the other side shut down (a producer closed its DataBlock)
    system,             ///< any other OS failure; message carries errno text
};

std::string_view to_string(ErrorCode code) noexcept;

struct Error {
    ErrorCode code;
    std::string message;
};

/// A value or an Error. Marked [[nodiscard]] so a failure cannot be dropped unread.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
    Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(state_); }
    Error&& error() && { return std::get<1>(std::move(state_)); }

private:
    std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}  // NOLINT

    bool has_value() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return has_value(); }
    const Error& error() const& { return *error_; }
    Error&& error() && { return std::move(*error_); }

private:
    std::optional<Error> error_;  // success costs no string: hot paths return Result<void>
};

/// Shorthand for `return make_error(ErrorCode::x, "...")` in Result-returning functions.
inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace pylabhub
