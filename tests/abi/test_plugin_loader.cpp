// The loader against real .so files: good ones, and each documented way a
// library can be wrong. Every problem is reported with the file and the
// reason, and loading carries on.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugins/plugin_instance.hpp"
#include "plugins/plugin_registry.hpp"

namespace pylabhub::host {
namespace {

using ::testing::HasSubstr;

std::string problem_for(const PluginRegistry& registry, const std::string& file_name) {
    for (const auto& p : registry.problems()) {
        if (p.file.filename() == file_name) return p.message;
    }
    return "(no problem recorded for " + file_name + ")";
}

ResolvedConfig defaults(const PluginInfo& plugin) {
    auto resolved = resolve_config(plugin.config, {});
    EXPECT_TRUE(std::holds_alternative<ResolvedConfig>(resolved));
    return std::get<ResolvedConfig>(resolved);
}

class PluginLoader : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        registry_ = new PluginRegistry;
        registry_->load_directories({PLH_ABI_TEST_PLUGIN_DIR});
    }
    static PluginRegistry* registry_;
};
PluginRegistry* PluginLoader::registry_ = nullptr;

TEST_F(PluginLoader, PluginBuiltAgainstTheFrozenAbi10HeaderLoadsAndRuns) {
    const PluginInfo* ramp = registry_->find("c-ramp");
    ASSERT_NE(ramp, nullptr) << problem_for(*registry_, "c_producer_v1_0.so");
    EXPECT_EQ(ramp->kind, PLH_KIND_PRODUCER);
    EXPECT_EQ(ramp->abi_major, 1);
    EXPECT_EQ(ramp->abi_minor, 0);
    ASSERT_TRUE(ramp->schema.has_value());
    EXPECT_EQ(ramp->schema->blds, "{value@0:u64}#8");
    ASSERT_EQ(ramp->config.size(), 1U);
    EXPECT_EQ(ramp->config[0].name, "step");

    auto inputs = ConfigInputs{{"step", ConfigInput{.text = "5"}}};
    auto resolved = resolve_config(ramp->config, inputs);
    ASSERT_TRUE(std::holds_alternative<ResolvedConfig>(resolved));
    auto instance = PluginInstance::create(*ramp, "ramp", std::get<ResolvedConfig>(resolved));
    ASSERT_TRUE(instance.has_value()) << instance.error().message;
    const auto* table = static_cast<const plh_producer_vtable*>(ramp->descriptor->vtable);
    std::uint64_t slot[2] = {};
    std::size_t bytes = 0;
    for (std::uint64_t expected : {0, 5, 10}) {
        ASSERT_EQ(table->wait_next((*instance)->handle(), 1000), PLH_OK);
        ASSERT_EQ(table->fill((*instance)->handle(), slot, sizeof slot, &bytes), PLH_OK);
        EXPECT_EQ(bytes, 8U);
        EXPECT_EQ(slot[0], expected);
    }
}

TEST_F(PluginLoader, ADifferentMajorVersionIsRefusedNamingBothVersions) {
    EXPECT_EQ(registry_->find("major-two"), nullptr);
    EXPECT_THAT(problem_for(*registry_, "major_two.so"), HasSubstr("built for plugin ABI 2.0; this host speaks ABI 1.1"));
}

TEST_F(PluginLoader, ANewerMinorVersionIsRefused) {
    EXPECT_EQ(registry_->find("newer-minor"), nullptr);
    EXPECT_THAT(problem_for(*registry_, "newer_minor.so"), HasSubstr("built for plugin ABI 1.2, newer than this host's ABI 1.1"));
}

TEST_F(PluginLoader, ALibraryWithoutTheEntrySymbolIsNotAPlugin) {
    EXPECT_THAT(problem_for(*registry_, "no_entry.so"), HasSubstr("exports no 'plh_plugin_entry' symbol"));
}

TEST_F(PluginLoader, AFileThatIsNotELFGivesTheLoadersReason) {
    const std::string message = problem_for(*registry_, "not_elf.so");
    EXPECT_THAT(message, HasSubstr("cannot be loaded"));
    EXPECT_THAT(message, HasSubstr("not_elf.so"));  // dlerror names the file
}

TEST(PluginLoaderTruncated, ATruncatedLibraryIsReportedNotMappedPastItsEnd) {
    // Half of a good plugin, as an interrupted copy leaves it: dlopen would
    // map pages past the end of the file and die of SIGBUS.
    const auto directory = std::filesystem::temp_directory_path() / ("plh-truncated-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory);
    const auto source = std::filesystem::path(PLH_ABI_TEST_PLUGIN_DIR) / "c_producer_v1_0.so";
    const auto copy = directory / "c_producer_v1_0.so";
    std::filesystem::copy_file(source, copy, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(copy, std::filesystem::file_size(source) / 2);
    PluginRegistry registry;
    registry.load_directories({directory});
    const std::string message = problem_for(registry, "c_producer_v1_0.so");
    std::filesystem::remove_all(directory);
    EXPECT_THAT(message, HasSubstr("cannot be loaded"));
    EXPECT_THAT(message, HasSubstr("truncated: its headers describe"));
    EXPECT_EQ(registry.find("c-ramp"), nullptr);
}

TEST_F(PluginLoader, DuplicateIdsNameBothFilesAndKeepTheFirst) {
    const PluginInfo* dup = registry_->find("dup");
    ASSERT_NE(dup, nullptr);
    EXPECT_EQ(dup->file.filename(), "dup_a.so");
    const std::string message = problem_for(*registry_, "dup_b.so");
    EXPECT_THAT(message, HasSubstr("plugin id 'dup' is already provided by"));
    EXPECT_THAT(message, HasSubstr("dup_a.so"));
}

TEST_F(PluginLoader, LoadingCarriesOnPastBadLibraries) {
    // throwing.so sorts after every broken library above.
    EXPECT_NE(registry_->find("throws-on-create"), nullptr);
    EXPECT_NE(registry_->find("reads-missing-config"), nullptr);
    EXPECT_EQ(registry_->problems().size(), 5U);
}

TEST_F(PluginLoader, AnExceptionInCreateIsReportedWithItsMessageAndTheHostCarriesOn) {
    const PluginInfo* throws = registry_->find("throws-on-create");
    ASSERT_NE(throws, nullptr);
    auto instance = PluginInstance::create(*throws, "camera", {});
    ASSERT_FALSE(instance.has_value());
    EXPECT_THAT(instance.error().message, HasSubstr("instance 'camera' (plugin 'throws-on-create'"));
    EXPECT_THAT(instance.error().message, HasSubstr("PLH_ERR_INTERNAL"));
    EXPECT_THAT(instance.error().message, HasSubstr("sensor not connected"));

    const PluginInfo* reads = registry_->find("reads-missing-config");
    ASSERT_NE(reads, nullptr);
    auto second = PluginInstance::create(*reads, "viewer", {});
    ASSERT_FALSE(second.has_value());
    EXPECT_THAT(second.error().message, HasSubstr("PLH_ERR_CONFIG"));
    EXPECT_THAT(second.error().message, HasSubstr("config 'undeclared' is not available"));

    auto ramp = PluginInstance::create(*registry_->find("c-ramp"), "after", defaults(*registry_->find("c-ramp")));
    EXPECT_TRUE(ramp.has_value()) << "the host still creates other instances";
}

TEST(BuiltinPlugins, SineDeclaresItsSchemaFromItsConfigAndFillsSlots) {
    PluginRegistry registry;
    registry.load_directories({PLH_BUILTIN_PLUGIN_DIR});
    EXPECT_TRUE(registry.problems().empty());
    const PluginInfo* sine = registry.find("sine");
    ASSERT_NE(sine, nullptr);
    auto inputs = ConfigInputs{{"channels", ConfigInput{.text = "3"}}};
    auto resolved = resolve_config(sine->config, inputs);
    ASSERT_TRUE(std::holds_alternative<ResolvedConfig>(resolved));
    auto instance = PluginInstance::create(*sine, "sine", std::get<ResolvedConfig>(resolved));
    ASSERT_TRUE(instance.has_value()) << instance.error().message;
    ASSERT_TRUE((*instance)->schema().has_value());
    EXPECT_EQ((*instance)->schema()->blds, "{seq@0:u64;t_ns@8:u64;value@16:f32[3]}#32");

    const auto* table = static_cast<const plh_producer_vtable*>(sine->descriptor->vtable);
    alignas(8) std::byte slot[64] = {};
    std::size_t bytes = 0;
    ASSERT_EQ(table->fill((*instance)->handle(), slot, sizeof slot, &bytes), PLH_OK);
    EXPECT_EQ(bytes, 28U);
    ASSERT_EQ(table->fill((*instance)->handle(), slot, 8, &bytes), PLH_ERR_CONFIG) << "slot too small";
    EXPECT_THAT((*instance)->take_error(), HasSubstr("too small for 3 channels"));
}

TEST(BuiltinPlugins, PolicyPluginsMatchTheDataBlocksOwnPolicies) {
    PluginRegistry registry;
    registry.load_directories({PLH_BUILTIN_PLUGIN_DIR});
    for (const auto& [id, policy, digest] : {std::tuple{"none", 0U, 0U}, std::tuple{"blake2b", 1U, 32U}, std::tuple{"xxh3", 2U, 8U}}) {
        const PluginInfo* plugin = registry.find(id);
        ASSERT_NE(plugin, nullptr) << id;
        ASSERT_TRUE(plugin->checksum.has_value());
        EXPECT_EQ(plugin->checksum->id, policy);
        EXPECT_EQ(plugin->checksum->digest_bytes, digest);
    }
    std::uint8_t digest[32] = {};
    registry.find("blake2b")->checksum->compute("abc", 3, digest);
    EXPECT_EQ(digest[0], 0xbd) << "BLAKE2b-256(\"abc\") starts with bd";
    EXPECT_EQ(registry.find("sync_reader")->sync->policy_id, 3U);
    EXPECT_EQ(registry.find("latest_only")->sync->lossless, 0U);
}

TEST(SearchPath, CommandLineThenEnvironmentThenPipelineThenInstallDirectory) {
    ::setenv("PYLABHUB_PLUGIN_PATH", "/env/one:/env/two", 1);
    const auto path = plugin_search_path({"/cli"}, {"/pipeline"});
    ::unsetenv("PYLABHUB_PLUGIN_PATH");
    ASSERT_GE(path.size(), 5U);
    EXPECT_EQ(path[0], "/cli");
    EXPECT_EQ(path[1], "/env/one");
    EXPECT_EQ(path[2], "/env/two");
    EXPECT_EQ(path[3], "/pipeline");
    EXPECT_EQ(path[4].filename(), "plugins");
    EXPECT_EQ(path[4].parent_path().filename(), "pylabhub");
}

}  // namespace
}  // namespace pylabhub::host
