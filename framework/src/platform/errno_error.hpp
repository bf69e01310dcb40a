// Turns an errno into an Error whose message names the object and the operation.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "pylabhub/core/result.hpp"

namespace pylabhub::platform::detail {

inline ErrorCode code_for_errno(int err) noexcept {
    switch (err) {
    case ENOENT: return ErrorCode::not_found;
    case EEXIST: return ErrorCode::already_exists;
    case EACCES:
    case EPERM: return ErrorCode::permission_denied;
    case EINVAL:
    case ENAMETOOLONG: return ErrorCode::invalid_argument;
    case ETIMEDOUT: return ErrorCode::timeout;
    case EBUSY: return ErrorCode::busy;
    default: return ErrorCode::system;
    }
}

/// "<what>: <operation> failed: <strerror> (errno N)"
inline Error errno_error(std::string_view what, std::string_view operation, int err) {
    std::string message;
    message.append(what).append(": ").append(operation).append(" failed: ");
    message.append(std::strerror(err)).append(" (errno ").append(std::to_string(err)).append(")");
    return Error{code_for_errno(err), std::move(message)};
}

}  // namespace pylabhub::platform::detail
