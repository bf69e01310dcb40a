#include "pylabhub/core/result.hpp"

namespace pylabhub {

std::string_view to_string(ErrorCode code) noexcept {
    switch (code) {
    case ErrorCode::invalid_argument: return "invalid argument";
    case ErrorCode::not_found: return "not found";
    case ErrorCode::already_exists: return "already exists";
    case ErrorCode::permission_denied: return "permission denied";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::busy: return "busy";
    case ErrorCode::not_owner: return "not owner";
    case ErrorCode::mismatch: return "mismatch";
    case ErrorCode::corrupt: return "corrupt";
    case ErrorCode::unrecoverable: return "unrecoverable";
    case ErrorCode::closed: return "closed";
    case ErrorCode::system: return "system error";
    }
    return "unknown error";
}

}  // namespace pylabhub
