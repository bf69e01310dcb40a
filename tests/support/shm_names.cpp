#include "shm_names.hpp"

#include <atomic>

#include <sys/mman.h>
#include <unistd.h>

namespace pylabhub::test {

std::string unique_shm_name(std::string_view tag) {
    static std::atomic<unsigned> counter{0};
    return std::string(kTestShmPrefix) + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." + std::string(tag);
}

ShmNameGuard::~ShmNameGuard() { ::shm_unlink(name_.c_str()); }

}  // namespace pylabhub::test
