// A checksum policy from a third-party .so protects a real DataBlock.
#include <chrono>
#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugins/plugin_registry.hpp"
#include "pylabhub/datablock.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "shm_names.hpp"

namespace pylabhub::host {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(ChecksumPlugin, ADataBlockUsesAPolicyShippedAsASharedObject) {
    PluginRegistry registry;
    ASSERT_TRUE(registry.load_file(std::string(PLH_ABI_TEST_PLUGIN_DIR) + "/checksum_fletcher.so"));
    const PluginInfo* plugin = registry.find("fletcher32");
    ASSERT_NE(plugin, nullptr);
    ASSERT_TRUE(plugin->checksum.has_value());
    const datablock::ChecksumPolicy* policy = &*plugin->checksum;

    test::ShmNameGuard name("fletcher");
    datablock::DataBlockConfig config;
    config.checksum_policy = policy;
    auto producer = datablock::Producer::create(name.name(), config);
    ASSERT_TRUE(producer.has_value()) << producer.error().message;

    datablock::ConsumerOptions without;
    without.secret = producer->secret();
    auto refused = datablock::Consumer::attach(name.name(), without);
    ASSERT_FALSE(refused.has_value());
    EXPECT_THAT(refused.error().message, HasSubstr("checksum policy id 1000 is not known here"));

    datablock::ConsumerOptions with = without;
    with.checksum_policies = {policy};
    auto consumer = datablock::Consumer::attach(name.name(), with);
    ASSERT_TRUE(consumer.has_value()) << consumer.error().message;

    const std::string good = "calibrated";
    ASSERT_TRUE(producer->write(std::as_bytes(std::span(good.data(), good.size())), 10ms).has_value());
    ASSERT_TRUE(producer->write(std::as_bytes(std::span(good.data(), good.size())), 10ms).has_value());
    auto first = consumer->acquire_read(10ms);
    ASSERT_TRUE(first.has_value()) << first.error().message;
    // Corrupt the second slot behind the protocol's back.
    auto raw = platform::SharedMemory::attach(name.name());
    ASSERT_TRUE(raw.has_value());
    raw->data()[(first->buffer().data() - raw->data()) + 4096] ^= std::byte{0x20};
    ASSERT_TRUE(first->release().has_value());

    auto corrupt = consumer->acquire_read(10ms);
    ASSERT_FALSE(corrupt.has_value());
    EXPECT_THAT(corrupt.error().message, HasSubstr("fails its fletcher32 checksum"));
    EXPECT_EQ(consumer->metrics().checksum_failures, 1U);
}

}  // namespace
}  // namespace pylabhub::host
