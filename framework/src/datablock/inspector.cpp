#include "pylabhub/datablock/diagnostics.hpp"

#include <atomic>
#include <cstring>

#include "pylabhub/crypto/crypto.hpp"
#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/log.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "segment.hpp"

namespace pylabhub::datablock {

struct Inspector::State {
    platform::SharedMemory shm;
    detail::SegmentView view;
};

namespace {

template <typename T>
T load(const T& field) {
    return std::atomic_ref<T>(const_cast<T&>(field)).load(std::memory_order_acquire);
}

const char* state_name(std::uint32_t state) {
    switch (state) {
    case PLH_SLOT_FREE: return "free";
    case PLH_SLOT_WRITING: return "writing";
    case PLH_SLOT_COMMITTED: return "committed";
    default: return "invalid";
    }
}

/// Returns a slot to FREE; the generation moves on (even), so anyone inside
/// fails validation. Its content is gone.
void free_slot(plh_slot_rw_state& slot) {
    std::atomic_ref<std::uint32_t>(slot.state).store(PLH_SLOT_FREE, std::memory_order_relaxed);
    auto generation = std::atomic_ref<std::uint64_t>(slot.generation);
    generation.store((generation.load() | 1U) + 1U, std::memory_order_release);
}

}  // namespace

Result<Inspector> Inspector::open(std::string_view shm_name) {
    auto opened = detail::open_segment(shm_name, "");
    if (!opened) return std::move(opened).error();
    auto* state = new State{std::move(opened->shm), {}};
    state->view = detail::SegmentView{state->shm.data(), opened->layout};
    return Inspector(state);
}

Inspector::Inspector(Inspector&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
Inspector& Inspector::operator=(Inspector&& other) noexcept {
    if (this != &other) {
        delete state_;
        state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
}
Inspector::~Inspector() { delete state_; }

Result<SlotDiagnostic> Inspector::diagnose_slot(std::uint32_t index) const {
    const detail::SegmentHeader& h = state_->view.header();
    if (index >= state_->view.layout.slot_count) {
        return make_error(ErrorCode::invalid_argument,
                          "slot " + std::to_string(index) + " does not exist (the ring has " + std::to_string(h.slot_count) + " slots)");
    }
    const plh_slot_rw_state& slot = *state_->view.slot_state(index);
    SlotDiagnostic d;
    d.index = index;
    const std::uint32_t state = load(slot.state);
    d.state = state_name(state);
    d.sequence = load(slot.sequence);
    d.generation = load(slot.generation);
    d.readers = load(slot.reader_count);
    const std::uint64_t writer = load(slot.write_lock);
    d.writer_pid = platform::owner_word_pid(writer);
    d.writer_alive = writer != 0 && platform::is_owner_word_alive(writer);
    const std::uint64_t now = platform::monotonic_time_ns();
    const std::uint64_t since = state == PLH_SLOT_WRITING ? load(slot.write_started_ns) : load(slot.commit_ns);
    d.age_ns = since != 0 && now > since ? now - since : 0;
    // Readers the consumer table cannot account for were left by the dead.
    std::uint32_t accounted = 0;
    for (std::uint32_t i = 0; i < state_->view.layout.max_consumers; ++i) {
        const detail::ConsumerEntry& e = state_->view.consumers()[i];
        const std::uint64_t reading = e.reading.load(std::memory_order_acquire);
        if (e.owner.load(std::memory_order_acquire) != 0 && reading != detail::kNoSequence &&
            reading % state_->view.layout.slot_count == index && platform::is_owner_word_alive(e.owner.load())) {
            ++accounted;
        }
    }
    d.stuck = (writer != 0 && !d.writer_alive) || d.readers > accounted;
    return d;
}

SegmentDiagnostic Inspector::recorded() const {
    const detail::SegmentHeader& h = state_->view.header();
    SegmentDiagnostic d;
    d.shm_name = state_->shm.name();
    d.bytes = state_->shm.size();
    d.config = detail::recorded_config(state_->view);
    d.checksum_id = h.checksum_policy;
    if (h.checksum_policy >= kFirstPluginChecksumId) d.config.checksum = ChecksumKind::none;  // a plugin's: see checksum_id
    if (const auto schema = detail::recorded_schema(state_->view)) {
        d.schema_name = schema->name;
        d.schema_version = schema->version.to_string();
        d.schema_hash_hex = schema->hash_hex();
    }
    return d;
}

SegmentDiagnostic Inspector::diagnose() const {
    const detail::SegmentHeader& h = state_->view.header();
    SegmentDiagnostic d = recorded();
    const std::uint64_t producer = h.producer_owner.load(std::memory_order_acquire);
    d.producer_pid = producer != 0 ? platform::owner_word_pid(producer) : h.creator_pid;
    d.producer_alive = producer != 0 && platform::is_owner_word_alive(producer);
    d.closed = h.closed.load(std::memory_order_acquire) != 0;
    d.metrics = detail::read_metrics(state_->view);
    for (std::uint32_t i = 0; i < state_->view.layout.slot_count; ++i) d.slots.push_back(diagnose_slot(i).value());
    const std::uint64_t now = platform::monotonic_time_ns();
    for (std::uint32_t i = 0; i < state_->view.layout.max_consumers; ++i) {
        const detail::ConsumerEntry& e = state_->view.consumers()[i];
        const std::uint64_t owner = e.owner.load(std::memory_order_acquire);
        if (owner == 0) continue;
        ConsumerDiagnostic c;
        c.row = i;
        c.pid = platform::owner_word_pid(owner);
        c.alive = platform::is_owner_word_alive(owner);
        c.position = e.position.load();
        if (const auto reading = e.reading.load(); reading != detail::kNoSequence) c.reading = reading;
        const std::uint64_t beat = e.last_heartbeat_ns.load();
        c.heartbeat_age_ns = beat != 0 && now > beat ? now - beat : 0;
        c.slots_read = e.slots_read.load();
        d.consumers.push_back(c);
    }
    return d;
}

Result<void> Inspector::force_reset_slot(std::uint32_t index, bool force) {
    auto slot_info = diagnose_slot(index);
    if (!slot_info) return std::move(slot_info).error();
    if (slot_info->writer_alive && !force) {
        return make_error(ErrorCode::busy,
                          "slot " + std::to_string(index) + " is being written by live pid " + std::to_string(slot_info->writer_pid) +
                              "; refusing to reset it (add --force to do it anyway)");
    }
    plh_slot_rw_state& slot = *state_->view.slot_state(index);
    std::atomic_ref<std::uint32_t>(slot.reader_count).store(0, std::memory_order_relaxed);
    free_slot(slot);
    std::atomic_ref<std::uint64_t>(slot.write_lock).store(0, std::memory_order_release);
    state_->view.header().recovery_actions.fetch_add(1, std::memory_order_relaxed);
    log::logger().warn("datablock '{}': slot {} force-reset{}", state_->shm.name(), index, force ? " (forced)" : "");
    return {};
}

std::vector<std::string> Inspector::cleanup_zombies() {
    std::vector<std::string> actions;
    detail::SegmentHeader& h = state_->view.header();
    for (std::uint32_t i = 0; i < state_->view.layout.max_consumers; ++i) {
        detail::ConsumerEntry& e = state_->view.consumers()[i];
        const std::uint64_t owner = e.owner.load(std::memory_order_acquire);
        if (owner == 0 || platform::is_owner_word_alive(owner)) continue;
        bool was_reading = false;
        if (detail::retire_dead_consumer(state_->view, e, owner, platform::owner_word(platform::current_process()), &was_reading)) {
            actions.push_back("retired consumer row " + std::to_string(i) + " of dead pid " +
                              std::to_string(platform::owner_word_pid(owner)) +
                              (was_reading ? " and released the slot it was reading" : ""));
        }
    }
    for (std::uint32_t i = 0; i < state_->view.layout.slot_count; ++i) {
        plh_slot_rw_state& slot = *state_->view.slot_state(i);
        std::uint64_t writer = std::atomic_ref<std::uint64_t>(slot.write_lock).load();
        if (writer == 0 || platform::is_owner_word_alive(writer)) continue;
        // A dead writer's half-written slot: free it (its partial content was never visible).
        if (std::atomic_ref<std::uint64_t>(slot.write_lock).compare_exchange_strong(writer, 0)) {
            free_slot(slot);
            h.recovery_actions.fetch_add(1, std::memory_order_relaxed);
            actions.push_back("released slot " + std::to_string(i) + " from dead writer pid " +
                              std::to_string(platform::owner_word_pid(writer)));
        }
    }
    return actions;
}

IntegrityReport Inspector::validate(bool repair, const std::vector<const ChecksumPolicy*>& checksum_plugins) {
    IntegrityReport report;
    const detail::SegmentView& view = state_->view;
    detail::SegmentHeader& h = view.header();
    const std::uint64_t committed = h.commit_count.load();
    for (std::uint32_t i = 0; i < state_->view.layout.max_consumers; ++i) {
        const detail::ConsumerEntry& e = view.consumers()[i];
        if (e.active.load() != 0 && e.position.load() > committed) {
            report.problems.push_back("consumer row " + std::to_string(i) + " is at position " + std::to_string(e.position.load()) +
                                      ", past commit_count " + std::to_string(committed));
        }
    }
    const ChecksumPolicy* policy = builtin_checksum_by_id(h.checksum_policy);
    for (const ChecksumPolicy* plugin : checksum_plugins) {
        if (policy == nullptr && plugin != nullptr && plugin->id == h.checksum_policy) policy = plugin;
    }
    if (policy == nullptr) {
        report.problems.push_back("checksum policy id " + std::to_string(h.checksum_policy) +
                                  " belongs to a checksum plugin not found here (--plugin-path DIR): checksums not checked");
        return report;
    }
    if (policy->digest_bytes != h.digest_bytes) {
        report.problems.push_back(std::string("checksum policy '") + policy->name + "' makes " + std::to_string(policy->digest_bytes) +
                                  "-byte digests, the segment holds " + std::to_string(h.digest_bytes) + ": checksums not checked");
        return report;
    }
    if (policy->compute == nullptr) return report;  // no checksums to check
    const bool manual = h.checksum_mode == static_cast<std::uint32_t>(ChecksumMode::manual);
    if (manual) {
        report.notes.push_back(
            "checksum mode manual: the producer writes slot digests when it chooses, so slot digests are "
            "not checked");
    }
    std::uint8_t digest[kMaxDigestBytes];
    for (std::uint32_t i = 0; i < state_->view.layout.slot_count && !manual; ++i) {
        plh_slot_rw_state& slot = *view.slot_state(i);
        if (load(slot.state) != PLH_SLOT_COMMITTED) continue;
        const std::uint64_t sequence = load(slot.sequence);
        const std::uint64_t generation = load(slot.generation);
        const auto bytes = std::min<std::uint64_t>(load(slot.payload_bytes), view.layout.slot_stride);
        policy->compute(view.slot_data(i), bytes, digest);
        ++report.slots_checked;
        if (std::memcmp(digest, view.digest(i), policy->digest_bytes) == 0) continue;
        if (load(slot.generation) != generation) continue;  // rewritten while we looked: not corruption
        report.problems.push_back("slot " + std::to_string(i) + " (sequence " + std::to_string(sequence) + ") fails its " + policy->name +
                                  " checksum");
        if (repair) {
            std::memcpy(view.digest(i), digest, policy->digest_bytes);
            report.repairs.push_back("slot " + std::to_string(i) + " (sequence " + std::to_string(sequence) + "): rewrote its " +
                                     policy->name + " checksum; the payload is unchanged");
        }
    }
    for (std::uint32_t z = 0; z < h.flex_zone_count; ++z) {
        detail::FlexZoneEntry& zone = view.zones()[z];
        if (zone.digest_valid.load() == 0) continue;
        policy->compute(view.base + zone.offset, zone.bytes, digest);
        if (std::memcmp(digest, zone.digest, policy->digest_bytes) == 0) continue;
        const std::string name(zone.name, ::strnlen(zone.name, sizeof zone.name));
        report.problems.push_back("flexible zone '" + name + "' fails its " + policy->name + " checksum");
        if (repair) {
            std::memcpy(zone.digest, digest, policy->digest_bytes);
            report.repairs.push_back("flexible zone '" + name + "': rewrote its checksum; the data is unchanged");
        }
    }
    return report;
}

bool Inspector::orphaned() const {
    const detail::SegmentHeader& h = state_->view.header();
    const std::uint64_t producer = h.producer_owner.load();
    if (producer != 0 && platform::is_owner_word_alive(producer)) return false;
    for (std::uint32_t i = 0; i < state_->view.layout.max_consumers; ++i) {
        const std::uint64_t owner = state_->view.consumers()[i].owner.load();
        if (owner != 0 && platform::is_owner_word_alive(owner)) return false;
    }
    return true;
}

}  // namespace pylabhub::datablock
