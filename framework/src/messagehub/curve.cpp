#include "pylabhub/messagehub/curve.hpp"
#include "pylabhub/messagehub/curve_zap.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

namespace pylabhub::messagehub {

Result<CurveKeyPair> generate_curve_keypair() {
    char public_key[41] = {};
    char secret_key[41] = {};
    if (zmq_curve_keypair(public_key, secret_key) != 0) {
        return make_error(ErrorCode::system, "CurveZMQ is not available in this libzmq");
    }
    return CurveKeyPair{public_key, secret_key};
}

Result<std::string> curve_public_of(const std::string& secret_key) {
    char public_key[41] = {};
    if (secret_key.size() != 40 || zmq_curve_public(public_key, secret_key.c_str()) != 0) {
        return make_error(ErrorCode::invalid_argument, "not a CurveZMQ secret key (40 Z85 characters)");
    }
    return std::string(public_key);
}

namespace {

Result<void> write_key(const std::filesystem::path& file, const std::string& comment, const std::string& key, mode_t mode) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        return make_error(errno == EEXIST ? ErrorCode::already_exists : ErrorCode::permission_denied,
                          file.string() + ": " + (errno == EEXIST ? "exists already; not overwritten" : std::string(std::strerror(errno))));
    }
    const std::string text = "# " + comment + "\n" + key + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::fchmod(fd, mode);
    ::close(fd);
    if (!ok) return make_error(ErrorCode::system, file.string() + ": write failed");
    return {};
}

}  // namespace

Result<void> write_curve_keypair(const std::filesystem::path& base, const CurveKeyPair& pair) {
    const std::filesystem::path public_file = base.string() + ".pub";
    const std::filesystem::path secret_file = base.string() + ".key";
    if (std::filesystem::exists(public_file) || std::filesystem::exists(secret_file)) {
        return make_error(ErrorCode::already_exists, base.string() + ".pub or .key exists already; not overwritten");
    }
    if (auto written = write_key(secret_file, "pyLabHub CurveZMQ secret key: keep it private", pair.secret_key, 0600); !written)
        return written;
    return write_key(public_file, "pyLabHub CurveZMQ public key", pair.public_key, 0644);
}

Result<std::string> read_curve_key(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) return make_error(ErrorCode::not_found, "curve key file " + file.string() + ": cannot be read");
    std::string why;
    std::string key = parse_curve_key_text(in, why);
    if (key.empty()) return make_error(ErrorCode::invalid_argument, "curve key file " + file.string() + ": " + why);
    return key;
}

}  // namespace pylabhub::messagehub
