// `pylabhub validate` as an operator uses it: every broken pipeline of the
// corpus named at file:line:col, and the clean ones summed up in a line.
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;

const std::string kBroken = PLH_BROKEN_PIPELINES_DIR;

// --- validate: each broken pipeline names the exact place ------------------

struct Broken {
    const char* file;
    const char* where_and_what;
};

class BrokenPipelines : public ::testing::TestWithParam<Broken> {};

TEST_P(BrokenPipelines, ValidateNamesFileLineColumnAndExitsOne) {
    const Broken& broken = GetParam();
    const std::string path = kBroken + "/" + broken.file;
    const Outcome outcome = pylabhub({"validate", path});
    EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
    EXPECT_THAT(outcome.output, HasSubstr(path + ":" + broken.where_and_what));
    EXPECT_THAT(outcome.output, ::testing::Not(HasSubstr("terminate called")));
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, BrokenPipelines,
    ::testing::Values(
        Broken{"01_yaml_syntax.yaml", "4:10: YAML syntax: end of map flow not found"},
        Broken{"02_unknown_top_level_key.yaml", "2:1: unknown key 'chanels' at the top level (did you mean 'channels'?)"},
        Broken{"03_unknown_channel_key.yaml", "3:12: unknown key 'slot' in channel 'sensor' (did you mean 'slots'?)"},
        Broken{"04_wrong_type.yaml", "4:12: slots: 'many' is not an integer"},
        Broken{"05_out_of_range.yaml", "3:19: slots: 0 is out of range 1 .. 1048576"},
        Broken{"06_unknown_plugin.yaml", "5:17: unknown plugin 'sinee' (did you mean 'sine'?)"},
        Broken{"07_unknown_channel_reference.yaml", "5:32: no channel 'sensr' in this pipeline (did you mean 'sensor'?)"},
        Broken{"08_unknown_config_key.yaml", "9:16: producer 'gen' (plugin sine): unknown config key 'rate_hs' (did you mean 'rate_hz'?)"},
        Broken{"09_config_out_of_range.yaml", "5:59: producer 'gen' (plugin sine): config 'channels': 0 is out of range 1 .. 1024"},
        Broken{"10_two_producers.yaml", "6:33: channel 'sensor' already has producer 'a'"},
        Broken{"11_channel_without_producer.yaml", "3:3: channel 'sensor' has no producer"},
        Broken{"12_wrong_plugin_kind.yaml", "7:18: plugin 'sine' is a producer plugin, not a consumer"},
        Broken{"13_single_reader_two_consumers.yaml", "3:18: channel 'sensor' is single_reader but has 2 consumers"},
        Broken{"14_transport_without_direction.yaml", "7:3: transport 'out' has no 'direction:'"},
        Broken{"15_missing_required_config.yaml", "7:3: consumer 'rec' (plugin recorder): missing required config 'path'"},
        Broken{"16_too_big_for_dev_shm.yaml", "1:1: the channels need"},
        Broken{"17_unknown_checksum.yaml", "3:22: checksum: 'crc32' is neither a built-in policy nor a checksum plugin"},
        Broken{"18_bad_permissions.yaml", "3:25: permissions: '0400' must be an octal mode"},
        Broken{"19_consumer_without_inputs.yaml", "7:3: consumer 'view' has no 'inputs:'"},
        Broken{"20_missing_pipeline_name.yaml", "1:1: missing 'pipeline: NAME' at the top level"},
        Broken{"21_broker_keys_without_broker.yaml", "1:1: broker_keys needs 'broker: ENDPOINT'"},
        Broken{"22_duplicate_channel.yaml", "4:3: channel 'sensor' is defined twice (first at line 3)"},
        Broken{"23_input_listed_twice.yaml", "7:42: inputs: channel 'sensor' is listed twice"},
        Broken{"24_duplicate_component_id.yaml", "7:3: id 'gen' is already used by a producer"},
        Broken{"25_unterminated_quote.yaml", "1:11: YAML syntax: this quoted value is never closed"},
        Broken{"26_nothing_to_run.yaml", "1:1: the pipeline has no producers and no consumers"},
        Broken{"27_manual_checksum_mode.yaml", "3:46: checksum_mode: manual is for programs that use the DataBlock API"},
        Broken{"28_control_characters_in_name.yaml", "1:11: pipeline: the name may not contain control characters"},
        Broken{"29_two_recorders_one_path.yaml", "10:47: consumer 'rb' writes '/tmp/./same.plhrec', as consumer 'ra' does"},
        Broken{"30_allow_other_owner_not_external.yaml", "3:31: allow_other_owner: only for an external channel"}),
    [](const auto& test) { return std::string(test.param.file).substr(0, 2); });

TEST(Validate, ReportsEveryProblemAtOnceAndATypoOnlyOnce) {
    const Outcome typo = pylabhub({"validate", kBroken + "/07_unknown_channel_reference.yaml"});
    EXPECT_THAT(typo.output, HasSubstr("1 problem in"));
    PipelineFile many("many", "pipeline: x\nchannels:\n  @: {slots: 0, sync: fast}\nproducers:\n  g: {plugin: sinee, channel: @}\n");
    const Outcome outcome = pylabhub({"validate", many.path()});
    EXPECT_EQ(outcome.exit_code, 1);
    EXPECT_THAT(outcome.output, HasSubstr("3 problems in"));
}

TEST(Validate, AByteOrderMarkChangesNothing) {
    const std::string yaml =
        "pipeline: bom\nchannels:\n  @: {sync: sync_reader}\nproducers:\n  g: {plugin: sine, channel: @}\n"
        "consumers:\n  n: {plugin: null, inputs: [@]}\n";
    PipelineFile with_bom("bom", "\xEF\xBB\xBF" + yaml);
    const Outcome outcome = pylabhub({"validate", with_bom.path()});
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_THAT(outcome.output, HasSubstr("OK: pipeline 'bom'"));
    PipelineFile broken_with_bom("bombad", "\xEF\xBB\xBFpipeline: bom\nchanels: {}\n");
    EXPECT_THAT(pylabhub({"validate", broken_with_bom.path()}).output, HasSubstr(":2:1: unknown key 'chanels'"));
}

TEST(Validate, ACleanPipelineGetsAOneLineSummary) {
    const Outcome outcome = pylabhub({"validate", PLH_CONFIGS_DIR "/quickstart.yaml"});
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_THAT(outcome.output, HasSubstr("quickstart.yaml: OK: pipeline 'quickstart', 1 channel, 1 producer, 2 consumers"));
}

TEST(Validate, EveryShippedConfigValidates) {
    std::size_t checked = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(PLH_CONFIGS_DIR)) {
        if (entry.path().extension() != ".yaml") continue;
        const Outcome outcome = pylabhub({"validate", entry.path().string()});
        EXPECT_EQ(outcome.exit_code, 0) << entry.path() << ": " << outcome.output;
        ++checked;
    }
    EXPECT_GE(checked, 6U) << "configs/ and configs/two_hosts/";
}

}  // namespace
}  // namespace pylabhub::test
