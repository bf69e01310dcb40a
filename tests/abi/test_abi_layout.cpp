// Pins the size and every field offset of each struct that crosses the
// plugin ABI (LP64: x86-64 and aarch64 Linux). A failure here means a change
// that breaks plugins already built: only appending fields at the end of a
// struct is allowed, and then the size pin moves and nothing else
// (docs/abi-policy.md). The frozen 1.0 header (tests/abi/v1_0) is compiled
// the same way, so a field edited in place fails here.
#include <cstddef>

#include <gtest/gtest.h>

#include PLH_ABI_HEADER_UNDER_TEST

namespace {

static_assert(sizeof(void*) == 8, "the pins are for LP64 platforms");

// The frozen 1.0 header has exactly the 1.0 sizes; the current header may
// have grown a struct at its end since, never shrunk it.
#ifdef PLH_ABI_FROZEN
#define PLH_EXPECT_SIZE(type, bytes) EXPECT_EQ(sizeof(type), bytes)
#else
#define PLH_EXPECT_SIZE(type, bytes) EXPECT_GE(sizeof(type), bytes)
#endif

TEST(PlhConfigEntry, SizeAndOffsetsArePinned) {
    PLH_EXPECT_SIZE(plh_config_entry, 56U);
    EXPECT_EQ(offsetof(plh_config_entry, type), 4U);
    EXPECT_EQ(offsetof(plh_config_entry, name), 8U);
    EXPECT_EQ(offsetof(plh_config_entry, description), 16U);
    EXPECT_EQ(offsetof(plh_config_entry, default_value), 24U);
    EXPECT_EQ(offsetof(plh_config_entry, required), 32U);
    EXPECT_EQ(offsetof(plh_config_entry, has_range), 36U);
    EXPECT_EQ(offsetof(plh_config_entry, min_value), 40U);
    EXPECT_EQ(offsetof(plh_config_entry, max_value), 48U);
}

TEST(PlhSchemaDesc, SizeAndOffsetsArePinned) {
    PLH_EXPECT_SIZE(plh_schema_desc, 32U);
    EXPECT_EQ(offsetof(plh_schema_desc, name), 8U);
    EXPECT_EQ(offsetof(plh_schema_desc, version), 16U);
    EXPECT_EQ(offsetof(plh_schema_desc, blds), 24U);
}

TEST(PlhHostApi, SizeAndOffsetsArePinned) {
    PLH_EXPECT_SIZE(plh_host_api, 160U);
    EXPECT_EQ(offsetof(plh_host_api, abi_major), 4U);
    EXPECT_EQ(offsetof(plh_host_api, abi_minor), 6U);
    EXPECT_EQ(offsetof(plh_host_api, log), 8U);
    EXPECT_EQ(offsetof(plh_host_api, report_error), 16U);
    EXPECT_EQ(offsetof(plh_host_api, instance_id), 24U);
    EXPECT_EQ(offsetof(plh_host_api, config_bool), 32U);
    EXPECT_EQ(offsetof(plh_host_api, config_int), 40U);
    EXPECT_EQ(offsetof(plh_host_api, config_float), 48U);
    EXPECT_EQ(offsetof(plh_host_api, config_string), 56U);
    EXPECT_EQ(offsetof(plh_host_api, config_duration_ns), 64U);
    EXPECT_EQ(offsetof(plh_host_api, config_size), 72U);
    EXPECT_EQ(offsetof(plh_host_api, config_list_count), 80U);
    EXPECT_EQ(offsetof(plh_host_api, config_list_item), 88U);
    EXPECT_EQ(offsetof(plh_host_api, monotonic_ns), 96U);
    EXPECT_EQ(offsetof(plh_host_api, metric_add), 104U);
    EXPECT_EQ(offsetof(plh_host_api, request_stop), 112U);
    EXPECT_EQ(offsetof(plh_host_api, stop_requested), 120U);
    EXPECT_EQ(offsetof(plh_host_api, write_slot), 128U);
    EXPECT_EQ(offsetof(plh_host_api, declare_schema), 136U);
    EXPECT_EQ(offsetof(plh_host_api, input_count), 144U);
    EXPECT_EQ(offsetof(plh_host_api, input_info), 152U);
}

TEST(PlhInputInfo, SizeAndOffsetsArePinned) {
    PLH_EXPECT_SIZE(plh_input_info, 72U);
    EXPECT_EQ(offsetof(plh_input_info, index), 4U);
    EXPECT_EQ(offsetof(plh_input_info, channel), 8U);
    EXPECT_EQ(offsetof(plh_input_info, schema_name), 16U);
    EXPECT_EQ(offsetof(plh_input_info, schema_version), 24U);
    EXPECT_EQ(offsetof(plh_input_info, schema_blds), 32U);
    EXPECT_EQ(offsetof(plh_input_info, schema_hash), 40U);
    EXPECT_EQ(offsetof(plh_input_info, slot_bytes), 48U);
    EXPECT_EQ(offsetof(plh_input_info, slot_count), 56U);
    EXPECT_EQ(offsetof(plh_input_info, sync_policy), 60U);
    EXPECT_EQ(offsetof(plh_input_info, checksum_policy), 64U);
    EXPECT_EQ(offsetof(plh_input_info, reserved), 68U);
}

TEST(PlhProducerVtable, SizeAndOffsetsArePinned) {
    PLH_EXPECT_SIZE(plh_producer_vtable, 24U);
    EXPECT_EQ(offsetof(plh_producer_vtable, wait_next), 8U);
    EXPECT_EQ(offsetof(plh_producer_vtable, fill), 16U);
}

TEST(PlhSlotInfo, SizeAndOffsetsArePinned) {
    PLH_EXPECT_SIZE(plh_slot_info, 32U);
    EXPECT_EQ(offsetof(plh_slot_info, input_index), 4U);
    EXPECT_EQ(offsetof(plh_slot_info, sequence), 8U);
    EXPECT_EQ(offsetof(plh_slot_info, commit_ns), 16U);
    EXPECT_EQ(offsetof(plh_slot_info, channel), 24U);
}

TEST(PlhConsumerVtable, SizeAndOffsetsArePinned) {
    PLH_EXPECT_SIZE(plh_consumer_vtable, 24U);
    EXPECT_EQ(offsetof(plh_consumer_vtable, consume), 8U);
    EXPECT_EQ(offsetof(plh_consumer_vtable, flush), 16U);
}

TEST(PlhChecksumVtable, SizeAndOffsetsArePinned) {
    PLH_EXPECT_SIZE(plh_checksum_vtable, 24U);
    EXPECT_EQ(offsetof(plh_checksum_vtable, policy_id), 4U);
    EXPECT_EQ(offsetof(plh_checksum_vtable, digest_bytes), 8U);
    EXPECT_EQ(offsetof(plh_checksum_vtable, compute), 16U);
}

TEST(PlhSyncVtable, SizeAndOffsetsArePinned) {
    PLH_EXPECT_SIZE(plh_sync_vtable, 16U);
    EXPECT_EQ(offsetof(plh_sync_vtable, policy_id), 4U);
    EXPECT_EQ(offsetof(plh_sync_vtable, lossless), 8U);
    EXPECT_EQ(offsetof(plh_sync_vtable, max_consumers), 12U);
}

TEST(PlhPluginDescriptor, SizeAndOffsetsArePinned) {
    PLH_EXPECT_SIZE(plh_plugin_descriptor, 80U);
    EXPECT_EQ(offsetof(plh_plugin_descriptor, kind), 4U);
    EXPECT_EQ(offsetof(plh_plugin_descriptor, id), 8U);
    EXPECT_EQ(offsetof(plh_plugin_descriptor, version), 16U);
    EXPECT_EQ(offsetof(plh_plugin_descriptor, description), 24U);
    EXPECT_EQ(offsetof(plh_plugin_descriptor, config), 32U);
    EXPECT_EQ(offsetof(plh_plugin_descriptor, config_count), 40U);
    EXPECT_EQ(offsetof(plh_plugin_descriptor, schema), 48U);
    EXPECT_EQ(offsetof(plh_plugin_descriptor, create), 56U);
    EXPECT_EQ(offsetof(plh_plugin_descriptor, destroy), 64U);
    EXPECT_EQ(offsetof(plh_plugin_descriptor, vtable), 72U);
}

TEST(PlhEntry, SizeAndOffsetsArePinned) {
    PLH_EXPECT_SIZE(plh_entry, 40U);
    EXPECT_EQ(offsetof(plh_entry, abi_major), 4U);
    EXPECT_EQ(offsetof(plh_entry, abi_minor), 6U);
    EXPECT_EQ(offsetof(plh_entry, init), 8U);
    EXPECT_EQ(offsetof(plh_entry, deinit), 16U);
    EXPECT_EQ(offsetof(plh_entry, descriptor_count), 24U);
    EXPECT_EQ(offsetof(plh_entry, descriptor), 32U);
}

TEST(AbiConstants, StatusKindAndTypeValuesArePinned) {
    EXPECT_EQ(PLH_OK, 0);
    EXPECT_EQ(PLH_TIMEOUT, 1);
    EXPECT_EQ(PLH_END, 2);
    EXPECT_EQ(PLH_ERR_INVALID, -1);
    EXPECT_EQ(PLH_ERR_CONFIG, -2);
    EXPECT_EQ(PLH_ERR_IO, -3);
    EXPECT_EQ(PLH_ERR_CORRUPT, -4);
    EXPECT_EQ(PLH_ERR_UNSUPPORTED, -5);
    EXPECT_EQ(PLH_ERR_INTERNAL, -6);
    EXPECT_EQ(PLH_KIND_PRODUCER, 1);
    EXPECT_EQ(PLH_KIND_TRANSPORT, 5);
    EXPECT_EQ(PLH_CONFIG_BOOL, 1);
    EXPECT_EQ(PLH_CONFIG_STRING_LIST, 7);
    EXPECT_EQ(PLH_LOG_ERROR, 4);
    EXPECT_EQ(PLH_ABI_MAJOR, 1);
    EXPECT_STREQ(PLH_ENTRY_SYMBOL, "plh_plugin_entry");
}

#if PLH_ABI_MINOR >= 1
// ABI 1.1: appended fields and the structs they lead to.
TEST(Abi11, HostApiAppendsAfterInputInfo) {
    EXPECT_EQ(offsetof(plh_host_api, config_json), 160U);
    EXPECT_EQ(offsetof(plh_host_api, output_info), 168U);
    EXPECT_EQ(offsetof(plh_host_api, zone_write), 176U);
    EXPECT_EQ(offsetof(plh_host_api, zone_read), 184U);
    EXPECT_EQ(offsetof(plh_host_api, transport_direction), 192U);
    EXPECT_EQ(offsetof(plh_host_api, advertise), 200U);
    EXPECT_EQ(offsetof(plh_host_api, discover), 208U);
    PLH_EXPECT_SIZE(plh_host_api, 216U);
}

TEST(Abi11, InputInfoAppendsZones) {
    EXPECT_EQ(offsetof(plh_input_info, zone_count), 72U);
    EXPECT_EQ(offsetof(plh_input_info, read_lossless), 76U);
    EXPECT_EQ(offsetof(plh_input_info, zones), 80U);
    PLH_EXPECT_SIZE(plh_input_info, 88U);
    PLH_EXPECT_SIZE(plh_zone_info, 24U);
    EXPECT_EQ(offsetof(plh_zone_info, name), 8U);
    EXPECT_EQ(offsetof(plh_zone_info, bytes), 16U);
}

TEST(Abi11, SyncVtableAppendsSelect) {
    EXPECT_EQ(offsetof(plh_sync_vtable, select), 16U);
    PLH_EXPECT_SIZE(plh_sync_vtable, 24U);
    PLH_EXPECT_SIZE(plh_read_state, 56U);
    EXPECT_EQ(offsetof(plh_read_state, slot_count), 4U);
    EXPECT_EQ(offsetof(plh_read_state, last_sequence), 8U);
    EXPECT_EQ(offsetof(plh_read_state, last_commit_ns), 16U);
    EXPECT_EQ(offsetof(plh_read_state, last_read_ns), 24U);
    EXPECT_EQ(offsetof(plh_read_state, newest_sequence), 32U);
    EXPECT_EQ(offsetof(plh_read_state, newest_commit_ns), 40U);
    EXPECT_EQ(offsetof(plh_read_state, now_ns), 48U);
    PLH_EXPECT_SIZE(plh_read_choice, 24U);
    EXPECT_EQ(offsetof(plh_read_choice, action), 4U);
    EXPECT_EQ(offsetof(plh_read_choice, sequence), 8U);
    EXPECT_EQ(offsetof(plh_read_choice, wait_ns), 16U);
}

TEST(Abi11, ProcessorTables) {
    PLH_EXPECT_SIZE(plh_output_slot, 32U);
    EXPECT_EQ(offsetof(plh_output_slot, data), 8U);
    EXPECT_EQ(offsetof(plh_output_slot, capacity), 16U);
    EXPECT_EQ(offsetof(plh_output_slot, bytes), 24U);
    PLH_EXPECT_SIZE(plh_processor_vtable, 24U);
    EXPECT_EQ(offsetof(plh_processor_vtable, process), 8U);
    EXPECT_EQ(offsetof(plh_processor_vtable, flush), 16U);
}

TEST(Abi11, TransportTables) {
    PLH_EXPECT_SIZE(plh_stream_info, 56U);
    EXPECT_EQ(offsetof(plh_stream_info, sync_policy), 4U);
    EXPECT_EQ(offsetof(plh_stream_info, schema_name), 8U);
    EXPECT_EQ(offsetof(plh_stream_info, schema_version), 16U);
    EXPECT_EQ(offsetof(plh_stream_info, schema_blds), 24U);
    EXPECT_EQ(offsetof(plh_stream_info, slot_bytes), 32U);
    EXPECT_EQ(offsetof(plh_stream_info, first_sequence), 40U);
    EXPECT_EQ(offsetof(plh_stream_info, peer), 48U);
    PLH_EXPECT_SIZE(plh_received_slot, 32U);
    EXPECT_EQ(offsetof(plh_received_slot, sequence), 8U);
    EXPECT_EQ(offsetof(plh_received_slot, commit_ns), 16U);
    EXPECT_EQ(offsetof(plh_received_slot, bytes), 24U);
    PLH_EXPECT_SIZE(plh_transport_vtable, 48U);
    EXPECT_EQ(offsetof(plh_transport_vtable, send), 8U);
    EXPECT_EQ(offsetof(plh_transport_vtable, idle), 16U);
    EXPECT_EQ(offsetof(plh_transport_vtable, stream), 24U);
    EXPECT_EQ(offsetof(plh_transport_vtable, receive), 32U);
    EXPECT_EQ(offsetof(plh_transport_vtable, flush), 40U);
}

TEST(Abi11, NewConstantsArePinned) {
    EXPECT_EQ(PLH_STREAM_CHANGED, 3);
    EXPECT_EQ(PLH_KIND_PROCESSOR, 6);
    EXPECT_EQ(PLH_CONFIG_TREE, 8);
    EXPECT_EQ(PLH_READ_SLOT, 1);
    EXPECT_EQ(PLH_READ_WAIT, 2);
    EXPECT_EQ(PLH_TRANSPORT_OUT, 1);
    EXPECT_EQ(PLH_TRANSPORT_IN, 2);
}
#endif

TEST(AbiHelpers, HasFieldChecksTheDeclaredSize) {
    plh_entry entry{};
    entry.struct_size = static_cast<uint32_t>(offsetof(plh_entry, init));  // an entry that ends before init
    EXPECT_TRUE(PLH_HAS_FIELD(&entry, plh_entry, abi_minor));
    EXPECT_FALSE(PLH_HAS_FIELD(&entry, plh_entry, init));
    const plh_entry* none = nullptr;
    EXPECT_FALSE(PLH_HAS_FIELD(none, plh_entry, struct_size));
}

}  // namespace
