// gtest main for every test binary: quiet logs, and a check that this
// process left no test segment behind.
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "pylabhub/log.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "shm_names.hpp"

namespace {

class NoShmResidue : public ::testing::Environment {
public:
    void TearDown() override {
        const std::string own_prefix = std::string(pylabhub::test::kTestShmPrefix) + std::to_string(::getpid()) + ".";
        auto left = pylabhub::platform::SharedMemory::list(own_prefix);
        ASSERT_TRUE(left.has_value()) << left.error().message;
        for (const auto& name : *left) ADD_FAILURE() << "test left shared memory behind: " << name;
    }
};

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    pylabhub::log::set_level(pylabhub::log::Level::error);
    ::testing::AddGlobalTestEnvironment(new NoShmResidue);
    return RUN_ALL_TESTS();
}
