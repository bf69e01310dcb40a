#include "segment.hpp"

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

namespace pylabhub::datablock::detail {
namespace {

constexpr std::uint64_t round_up(std::uint64_t value, std::uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

}  // namespace

SegmentLayout SegmentLayout::compute(std::uint32_t slot_count, std::uint64_t slot_bytes, std::uint32_t max_consumers,
                                     std::uint32_t digest_bytes, const std::uint64_t* zone_bytes, std::uint32_t zone_count) {
    SegmentLayout layout;
    layout.digest_bytes = digest_bytes;
    layout.slot_count = slot_count;
    layout.max_consumers = max_consumers;
    std::uint64_t at = round_up(sizeof(SegmentHeader), kCacheLine);
    layout.consumers_offset = at;
    at += std::uint64_t{max_consumers} * sizeof(ConsumerEntry);
    layout.zones_offset = at;
    at += std::uint64_t{zone_count} * sizeof(FlexZoneEntry);
    layout.slot_states_offset = at;
    at += std::uint64_t{slot_count} * sizeof(plh_slot_rw_state);
    layout.digests_offset = at;
    at = round_up(at + std::uint64_t{slot_count} * digest_bytes, kCacheLine);
    layout.zone_data_offset = at;
    for (std::uint32_t i = 0; i < zone_count; ++i) at += round_up(zone_bytes[i], kCacheLine);
    // Cache-line alignment is all a slot needs; page-aligning the slot area
    // would cost up to 4 KiB a segment for no measurable gain.
    layout.slots_offset = at;
    layout.slot_stride = round_up(slot_bytes, kCacheLine);
    layout.total_bytes = layout.slots_offset + std::uint64_t{slot_count} * layout.slot_stride;
    return layout;
}

const crypto::Digest256& header_layout_hash() {
    static const crypto::Digest256 hash = [] {
        std::string text = "SegmentHeader#" + std::to_string(sizeof(SegmentHeader));
        auto add = [&](const char* name, std::size_t offset, std::size_t size) {
            text += ";" + std::string(name) + "@" + std::to_string(offset) + ":" + std::to_string(size);
        };
#define PLH_FIELD(f) add(#f, offsetof(SegmentHeader, f), sizeof(SegmentHeader::f))
        PLH_FIELD(magic);
        PLH_FIELD(layout_version);
        PLH_FIELD(header_bytes);
        PLH_FIELD(header_layout_hash);
        PLH_FIELD(total_bytes);
        PLH_FIELD(slot_bytes);
        PLH_FIELD(slot_stride);
        PLH_FIELD(slot_count);
        PLH_FIELD(max_consumers);
        PLH_FIELD(sync_policy);
        PLH_FIELD(checksum_policy);
        PLH_FIELD(checksum_mode);
        PLH_FIELD(flex_zone_count);
        PLH_FIELD(has_schema);
        PLH_FIELD(digest_bytes);
        PLH_FIELD(schema_version);
        PLH_FIELD(schema_hash);
        PLH_FIELD(schema_name);
        PLH_FIELD(shared_secret);
        PLH_FIELD(creator_pid);
        PLH_FIELD(created_ns);
        PLH_FIELD(producer_owner);
        PLH_FIELD(sequence_floor);
        PLH_FIELD(closed);
        PLH_FIELD(commit_count);
        PLH_FIELD(producer_heartbeat_ns);
        PLH_FIELD(writer_backpressure_timeouts);
        PLH_FIELD(recovery_actions);
        PLH_FIELD(commit_futex);
        PLH_FIELD(producer_metrics);
        PLH_FIELD(commit_waiters);
        PLH_FIELD(space_futex);
        PLH_FIELD(space_waiters);
        PLH_FIELD(reader_timeouts);
        PLH_FIELD(checksum_failures);
        PLH_FIELD(schema_mismatches);
        PLH_FIELD(slots_read_retired);
        PLH_FIELD(consumer_attaches);
        PLH_FIELD(consumer_metrics);
#undef PLH_FIELD
        text += ";ConsumerEntry#" + std::to_string(sizeof(ConsumerEntry));
        text += ";FlexZoneEntry#" + std::to_string(sizeof(FlexZoneEntry));
        text += ";plh_slot_rw_state#" + std::to_string(sizeof(plh_slot_rw_state));
        return crypto::blake2b_256(text);
    }();
    return hash;
}

}  // namespace pylabhub::datablock::detail

namespace pylabhub::datablock::detail {

DataBlockMetrics read_metrics(const SegmentView& view) {
    const SegmentHeader& h = view.header();
    auto get = [](const std::uint64_t& counter) {
        return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(counter)).load(std::memory_order_relaxed);
    };
    DataBlockMetrics m;
    m.slots_written = get(h.producer_metrics.writes_committed);
    m.writes_abandoned = get(h.producer_metrics.writes_abandoned);
    m.writer_lock_timeouts = get(h.producer_metrics.writer_lock_timeouts);
    m.writer_drain_timeouts = get(h.producer_metrics.writer_drain_timeouts);
    m.writer_backpressure_timeouts = h.writer_backpressure_timeouts.load(std::memory_order_relaxed);
    m.reader_timeouts = h.reader_timeouts.load(std::memory_order_relaxed);
    m.torn_reads = get(h.consumer_metrics.reads_torn);
    m.checksum_failures = h.checksum_failures.load(std::memory_order_relaxed);
    m.schema_mismatches = h.schema_mismatches.load(std::memory_order_relaxed);
    m.recovery_actions = h.recovery_actions.load(std::memory_order_relaxed) + get(h.producer_metrics.locks_reclaimed);
    m.commit_count = h.commit_count.load(std::memory_order_relaxed);
    m.slots_read = h.slots_read_retired.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < view.layout.max_consumers; ++i) {
        const ConsumerEntry& entry = view.consumers()[i];
        if (entry.active.load(std::memory_order_acquire) == 0) continue;
        ++m.consumers;
        m.slots_read += entry.slots_read.load(std::memory_order_relaxed);
    }
    return m;
}

Result<SegmentLayout> read_segment_layout(const platform::SharedMemory& shm) {
    auto hex = [](const std::uint8_t* bytes, std::size_t size) { return crypto::to_hex(std::span(bytes, size)); };
    auto wrong = [](std::string why) { return make_error(ErrorCode::mismatch, std::move(why)); };
    if (shm.size() < sizeof(SegmentHeader)) {
        return wrong("segment too small: " + std::to_string(shm.size()) + " bytes, a DataBlock header alone is " +
                     std::to_string(sizeof(SegmentHeader)));
    }
    const SegmentHeader& h = *reinterpret_cast<const SegmentHeader*>(shm.data());
    const std::uint64_t magic = h.magic.load(std::memory_order_acquire);
    if (magic != kMagic) return wrong("not a pyLabHub DataBlock (magic 0x" + hex(reinterpret_cast<const std::uint8_t*>(&magic), 8) + ")");
    if (h.layout_version != kLayoutVersion) {
        return wrong("layout version differs: the segment has " + std::to_string(h.layout_version) + ", expected " +
                     std::to_string(kLayoutVersion));
    }
    if (h.header_bytes != sizeof(SegmentHeader) || std::memcmp(h.header_layout_hash, header_layout_hash().data(), 32) != 0) {
        return wrong("header layout hash differs: the segment has " + hex(h.header_layout_hash, 32) + ", this build " +
                     crypto::to_hex(header_layout_hash()) + " (made by another pyLabHub version or build settings)");
    }
    if (h.slot_count == 0 || h.max_consumers == 0 || h.slot_bytes == 0 || h.flex_zone_count > 64 || h.digest_bytes > kMaxDigestBytes ||
        h.slot_stride < h.slot_bytes) {
        return make_error(ErrorCode::corrupt,
                          "header config is impossible (slot_count " + std::to_string(h.slot_count) + ", slot_bytes " +
                              std::to_string(h.slot_bytes) + ", slot_stride " + std::to_string(h.slot_stride) + ", max_consumers " +
                              std::to_string(h.max_consumers) + ", digest_bytes " + std::to_string(h.digest_bytes) + ")");
    }
    const auto tables = SegmentLayout::compute(h.slot_count, h.slot_bytes, h.max_consumers, h.digest_bytes, nullptr, 0);
    if (tables.zones_offset + std::uint64_t{h.flex_zone_count} * sizeof(FlexZoneEntry) > shm.size()) {
        return wrong("segment too small: " + std::to_string(shm.size()) + " bytes cannot hold its tables");
    }
    const auto* zones = reinterpret_cast<const FlexZoneEntry*>(shm.data() + tables.zones_offset);
    std::vector<std::uint64_t> zone_bytes(h.flex_zone_count);
    for (std::uint32_t i = 0; i < h.flex_zone_count; ++i) zone_bytes[i] = zones[i].bytes;
    const SegmentLayout layout =
        SegmentLayout::compute(h.slot_count, h.slot_bytes, h.max_consumers, h.digest_bytes, zone_bytes.data(), h.flex_zone_count);
    if (h.total_bytes != layout.total_bytes || shm.size() < layout.total_bytes) {
        return wrong("segment too small: " + std::to_string(shm.size()) + " bytes, its header describes " +
                     std::to_string(layout.total_bytes));
    }
    return layout;
}

Result<OpenedSegment> open_segment(std::string_view shm_name, std::string_view what) {
    auto shm = platform::SharedMemory::attach(shm_name);
    if (!shm) return std::move(shm).error();
    auto layout = read_segment_layout(*shm);
    if (!layout) {
        return make_error(layout.error().code, std::string(what) + "datablock '" + shm->name() + "': " + layout.error().message);
    }
    return OpenedSegment{std::move(shm).value(), *layout};
}

DataBlockConfig recorded_config(const SegmentView& view) {
    const SegmentHeader& h = view.header();
    DataBlockConfig config;
    config.slot_count = h.slot_count;
    config.slot_bytes = h.slot_bytes;
    config.sync = static_cast<SyncPolicy>(h.sync_policy);
    config.checksum = static_cast<ChecksumKind>(h.checksum_policy);
    config.checksum_mode = static_cast<ChecksumMode>(h.checksum_mode);
    config.max_consumers = h.max_consumers;
    for (std::uint32_t i = 0; i < h.flex_zone_count; ++i) {
        const FlexZoneEntry& zone = view.zones()[i];
        config.flex_zones.push_back({std::string(zone.name, ::strnlen(zone.name, sizeof zone.name)), zone.bytes});
    }
    return config;
}

std::optional<schema::SchemaInfo> recorded_schema(const SegmentView& view) {
    const SegmentHeader& h = view.header();
    if (h.has_schema == 0) return std::nullopt;
    schema::SchemaInfo s;
    s.name = std::string(h.schema_name, ::strnlen(h.schema_name, sizeof h.schema_name));
    std::memcpy(s.hash.data(), h.schema_hash, s.hash.size());
    s.version = {h.schema_version[0], h.schema_version[1], h.schema_version[2]};
    return s;
}

bool settle_dead_consumer(const SegmentView& view, ConsumerEntry& entry) {
    // Only latest_only readers enter a slot (reader_count); a lossless
    // reader's `reading` is a note for diagnostics, with nothing to undo.
    const std::uint64_t noted = entry.reading.load(std::memory_order_seq_cst);
    const bool inside = noted != kNoSequence && !is_lossless(view.header().sync_policy);
    if (inside) plh_slot_rw_release_read(view.slot_state(noted), nullptr);
    view.header().slots_read_retired.fetch_add(entry.slots_read.load(std::memory_order_relaxed), std::memory_order_relaxed);
    entry.slots_read.store(0, std::memory_order_relaxed);
    entry.reading.store(kNoSequence, std::memory_order_relaxed);
    view.header().recovery_actions.fetch_add(1, std::memory_order_relaxed);
    return inside;
}

bool retire_dead_consumer(const SegmentView& view, ConsumerEntry& entry, std::uint64_t dead, std::uint64_t retirer, bool* was_reading) {
    std::uint64_t expected = dead;
    if (!entry.owner.compare_exchange_strong(expected, retirer, std::memory_order_acq_rel)) return false;
    entry.active.store(0, std::memory_order_seq_cst);  // the writer stops waiting for it
    const bool inside = settle_dead_consumer(view, entry);
    if (was_reading != nullptr) *was_reading = inside;
    entry.owner.store(0, std::memory_order_release);
    return true;
}

FlexZoneEntry* find_zone(const SegmentView& view, std::string_view name) {
    for (std::uint32_t i = 0; i < view.header().flex_zone_count; ++i) {
        FlexZoneEntry& zone = view.zones()[i];
        if (name == std::string_view(zone.name, ::strnlen(zone.name, sizeof zone.name))) return &zone;
    }
    return nullptr;
}

}  // namespace pylabhub::datablock::detail
