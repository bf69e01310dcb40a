#include "pylabhub/datablock/producer.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/log.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/prefetch.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "flex_zone.hpp"
#include "producer_state.hpp"
#include "segment.hpp"
#include "wait.hpp"

namespace pylabhub::datablock {
namespace detail {
namespace {

void copy_name(char* out, std::size_t capacity, std::string_view name) {
    const std::size_t n = std::min(capacity - 1, name.size());
    std::memcpy(out, name.data(), n);
    out[n] = '\0';
}

void initialise_header(SegmentView& view, const DataBlockConfig& config, const ProducerOptions& options, const crypto::SharedSecret& secret,
                       std::uint64_t owner) {
    auto* header = new (view.base) SegmentHeader{};  // zero-initialises every field
    header->layout_version = kLayoutVersion;
    header->header_bytes = sizeof(SegmentHeader);
    const auto& layout_hash = header_layout_hash();
    std::memcpy(header->header_layout_hash, layout_hash.data(), layout_hash.size());
    header->total_bytes = view.layout.total_bytes;
    header->slot_bytes = config.slot_bytes;
    header->slot_stride = view.layout.slot_stride;
    header->slot_count = config.slot_count;
    header->max_consumers = config.sync == SyncPolicy::single_reader ? 1 : config.max_consumers;
    header->sync_policy = static_cast<std::uint32_t>(config.sync);
    header->checksum_policy = config.checksum_policy != nullptr ? config.checksum_policy->id : static_cast<std::uint32_t>(config.checksum);
    header->checksum_mode = static_cast<std::uint32_t>(config.checksum_mode);
    header->flex_zone_count = static_cast<std::uint32_t>(config.flex_zones.size());
    header->digest_bytes = static_cast<std::uint32_t>(view.layout.digest_bytes);
    if (options.schema) {
        header->has_schema = 1;
        header->schema_version[0] = options.schema->version.major;
        header->schema_version[1] = options.schema->version.minor;
        header->schema_version[2] = options.schema->version.patch;
        std::memcpy(header->schema_hash, options.schema->hash.data(), options.schema->hash.size());
        copy_name(header->schema_name, sizeof header->schema_name, options.schema->name);
    }
    std::memcpy(header->shared_secret, secret.data(), secret.size());
    header->creator_pid = platform::current_pid();
    header->created_ns = platform::monotonic_time_ns();
    header->producer_owner.store(owner, std::memory_order_relaxed);

    for (std::uint32_t i = 0; i < header->max_consumers; ++i) {
        new (&view.consumers()[i]) ConsumerEntry{};
        view.consumers()[i].reading.store(kNoSequence, std::memory_order_relaxed);
    }
    std::uint64_t zone_offset = view.layout.zone_data_offset;
    for (std::size_t i = 0; i < config.flex_zones.size(); ++i) {
        auto* zone = new (&view.zones()[i]) FlexZoneEntry{};
        copy_name(zone->name, sizeof zone->name, config.flex_zones[i].name);
        zone->offset = zone_offset;
        zone->bytes = config.flex_zones[i].bytes;
        zone_offset += (zone->bytes + kCacheLine - 1) / kCacheLine * kCacheLine;
    }
    // Slot states and digests are zero already (a fresh segment): FREE.
    // Publishing the magic last tells attachers the header is complete.
    header->magic.store(kMagic, std::memory_order_release);
}

}  // namespace
}  // namespace detail

using detail::kNoSequence;
using detail::ProducerState;

namespace detail {
SegmentLayout layout_for(const DataBlockConfig& config) {
    std::vector<std::uint64_t> zone_bytes;
    for (const auto& zone : config.flex_zones) zone_bytes.push_back(zone.bytes);
    const std::uint32_t table = config.sync == SyncPolicy::single_reader ? 1 : config.max_consumers;
    const ChecksumPolicy& policy = config.checksum_policy != nullptr ? *config.checksum_policy : builtin_checksum(config.checksum);
    return SegmentLayout::compute(config.slot_count, config.slot_bytes, table, static_cast<std::uint32_t>(policy.digest_bytes),
                                  zone_bytes.data(), static_cast<std::uint32_t>(zone_bytes.size()));
}
}  // namespace detail

std::uint64_t Producer::segment_bytes(const DataBlockConfig& config) { return detail::layout_for(config).total_bytes; }

namespace {

/// True when the existing segment was made with exactly this configuration.
bool same_layout(const detail::SegmentView& old, const DataBlockConfig& config, const ProducerOptions& options,
                 const detail::SegmentLayout& layout) {
    const detail::SegmentHeader& h = old.header();
    const std::uint32_t checksum_id =
        config.checksum_policy != nullptr ? config.checksum_policy->id : static_cast<std::uint32_t>(config.checksum);
    if (h.total_bytes != layout.total_bytes || h.slot_count != config.slot_count || h.slot_bytes != config.slot_bytes ||
        h.sync_policy != static_cast<std::uint32_t>(config.sync) || h.checksum_policy != checksum_id ||
        h.checksum_mode != static_cast<std::uint32_t>(config.checksum_mode) || h.flex_zone_count != config.flex_zones.size() ||
        (h.has_schema != 0) != options.schema.has_value()) {
        return false;
    }
    if (options.schema && std::memcmp(h.schema_hash, options.schema->hash.data(), 32) != 0) return false;
    for (std::size_t i = 0; i < config.flex_zones.size(); ++i) {
        const detail::FlexZoneEntry& zone = old.zones()[i];
        if (config.flex_zones[i].name != zone.name || config.flex_zones[i].bytes != zone.bytes) return false;
    }
    return true;
}

}  // namespace

/// A segment left by an earlier producer of this name: reused when that
/// producer is dead and the layout is the same (consumers carry on), replaced
/// when the layout differs, refused while its producer lives. nullptr when
/// there is nothing to adopt (no segment, or it was replaced).
Result<detail::ProducerState*> Producer::adopt_existing(std::string_view shm_name, const DataBlockConfig& config, ProducerOptions& options,
                                                        const detail::SegmentLayout& layout) {
    auto existing = platform::SharedMemory::attach(shm_name);
    if (!existing && existing.error().code == ErrorCode::permission_denied) {
        return make_error(ErrorCode::already_exists, existing.error().message + "; remove it (as its owner or root)");
    }
    if (!existing) return static_cast<detail::ProducerState*>(nullptr);
    if (!existing->owned_by_this_user()) {
        // Its owner knows its secret and can write into it: never ours to adopt.
        return make_error(ErrorCode::already_exists,
                          "datablock '" + existing->name() +
                              "' exists and belongs to another user; it is never reused: remove it "
                              "(as its owner or root) or use another channel name");
    }
    auto old_layout = detail::read_segment_layout(*existing);
    if (!old_layout) {
        return make_error(ErrorCode::already_exists,
                          "datablock '" + existing->name() + "' exists but is not usable (" + old_layout.error().message +
                              "); it is never reused: remove it with 'pylabhub admin cleanup --unreadable " +
                              (existing->name().rfind("/plh.", 0) == 0 ? existing->name().substr(5) : existing->name()) + "'");
    }
    detail::SegmentView old{existing->data(), *old_layout};
    detail::SegmentHeader& h = old.header();
    const std::uint64_t previous = h.producer_owner.load(std::memory_order_acquire);
    if (previous != 0 && platform::is_owner_word_alive(previous)) {
        return make_error(ErrorCode::already_exists,
                          "datablock '" + existing->name() + "' has a live producer (pid " +
                              std::to_string(platform::owner_word_pid(previous)) + "); a channel has one producer");
    }
    if (!same_layout(old, config, options, layout)) {
        // Its consumers see the end of the old stream; new ones find the new segment.
        h.closed.store(1, std::memory_order_seq_cst);
        h.commit_futex.fetch_add(1, std::memory_order_seq_cst);
        platform::futex_wake_all(h.commit_futex);
        (void)platform::SharedMemory::unlink(existing->name());
        log::logger().warn("datablock '{}': replaced the segment of an earlier producer (pid {}) whose layout differs", existing->name(),
                           h.creator_pid);
        return static_cast<detail::ProducerState*>(nullptr);
    }
    crypto::SharedSecret secret{};
    std::memcpy(secret.data(), h.shared_secret, secret.size());
    auto* state = new ProducerState(std::move(existing).value(), *old_layout, config, std::move(options), secret);
    detail::SegmentHeader& header = state->header();
    state->next_sequence = header.commit_count.load(std::memory_order_acquire);
    header.producer_owner.store(state->owner, std::memory_order_seq_cst);
    header.closed.store(0, std::memory_order_seq_cst);
    header.recovery_actions.fetch_add(1, std::memory_order_relaxed);
    log::logger().warn("datablock '{}': producer pid {} is gone; reusing its segment, continuing at sequence {}", state->shm.name(),
                       platform::owner_word_pid(previous), state->next_sequence);
    return state;
}

Result<Producer> Producer::create(std::string_view shm_name, const DataBlockConfig& config, ProducerOptions options) {
    if (auto valid = config.validate(); !valid) return std::move(valid).error();
    if (options.schema && options.schema->struct_size > config.slot_bytes) {
        return make_error(ErrorCode::invalid_argument,
                          "slot_bytes " + std::to_string(config.slot_bytes) + " is smaller than schema '" + options.schema->name + "' (" +
                              std::to_string(options.schema->struct_size) + " bytes)");
    }
    const auto layout = detail::layout_for(config);
    if (!options.replace_existing) {
        auto adopted = adopt_existing(shm_name, config, options, layout);
        if (!adopted) return std::move(adopted).error();
        if (*adopted != nullptr) return Producer(*adopted);
    }
    auto shm = platform::SharedMemory::create(shm_name, layout.total_bytes,
                                              {.mode = config.permissions, .replace_existing = options.replace_existing});
    if (!shm) return std::move(shm).error();
    const crypto::SharedSecret secret = crypto::generate_shared_secret();
    auto* state = new ProducerState(std::move(shm).value(), layout, config, std::move(options), secret);
    detail::initialise_header(state->view, state->config, state->options, secret, state->owner);
    log::logger().debug("datablock '{}': created, {} slots x {} bytes, {}, checksum {}", state->shm.name(), config.slot_count,
                        config.slot_bytes, to_string(config.sync), to_string(config.checksum));
    return Producer(state);
}

Producer::Producer(Producer&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}

Producer& Producer::operator=(Producer&& other) noexcept {
    if (this != &other) {
        close();
        state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
}

Producer::~Producer() { close(); }

void Producer::close() noexcept {
    if (state_ == nullptr) return;
    auto& header = state_->header();
    header.producer_owner.store(0, std::memory_order_seq_cst);
    header.closed.store(1, std::memory_order_seq_cst);
    header.commit_futex.fetch_add(1, std::memory_order_seq_cst);
    platform::futex_wake_all(header.commit_futex);
    (void)platform::SharedMemory::unlink(state_->shm.name());
    if (state_->open_guards == 0) {
        delete state_;
    } else {
        state_->producer_gone = true;  // the last guard deletes it
    }
    state_ = nullptr;
}

namespace detail {
Result<std::uint64_t> ProducerState::wait_for_room(std::uint64_t sequence, std::chrono::nanoseconds timeout) {
    const std::uint64_t capacity = view.layout.slot_count;
    // The clock is read only when this call has to wait for space.
    const std::uint64_t budget = static_cast<std::uint64_t>(std::max<std::int64_t>(timeout.count(), 0));
    if (!lossless() || sequence < min_position_bound + capacity) return budget;
    Deadline deadline(timeout);
    auto has_space = [&] {
        min_position_bound = min_consumer_position(sequence);
        return sequence < min_position_bound + capacity;
    };
    if (!wait_until(options.wait, header().space_futex, header().space_waiters, deadline, has_space, [&] { retire_dead_consumers(); })) {
        header().writer_backpressure_timeouts.fetch_add(1, std::memory_order_relaxed);
        return make_error(ErrorCode::timeout,
                          "datablock '" + shm.name() + "': ring full for " + std::to_string(timeout.count() / 1'000'000) +
                              " ms: waiting for " + slowest_consumer() + ", the writer at " + std::to_string(sequence));
    }
    return deadline.left();
}

Error ProducerState::slot_error(std::uint64_t sequence, plh_slot_result result) const {
    return make_error(result == PLH_SLOT_TIMEOUT || result == PLH_SLOT_LOCKED ? ErrorCode::timeout : ErrorCode::unrecoverable,
                      "datablock '" + shm.name() + "': slot " + std::to_string(sequence % view.layout.slot_count) + " for sequence " +
                          std::to_string(sequence) + ": " + plh_slot_result_string(result));
}

void ProducerState::publish_up_to(std::uint64_t next, std::uint64_t now_ns) {
    next_sequence = next;
    header().commit_count.store(next, std::memory_order_seq_cst);
    header().producer_heartbeat_ns.store(now_ns, std::memory_order_relaxed);
    wake_waiters(header().commit_futex, header().commit_waiters);
}
}  // namespace detail

Result<WriteTransactionGuard> Producer::acquire_write(std::chrono::nanoseconds timeout) {
    ProducerState& s = *state_;
    if (s.open_guards > 0) {
        return make_error(ErrorCode::busy, "datablock '" + s.shm.name() + "': a slot is already being written; commit or abandon it first");
    }
    const std::uint64_t sequence = s.next_sequence;
    auto slot_timeout = s.wait_for_room(sequence, timeout);
    if (!slot_timeout) return std::move(slot_timeout).error();

    const plh_slot_result acquired =
        plh_slot_rw_acquire_write(s.view.slot_state(sequence), s.owner, *slot_timeout, detail::kNoReaderWait, &s.header().producer_metrics);
    if (acquired != PLH_SLOT_OK) return s.slot_error(sequence, acquired);
    ++s.open_guards;
    return WriteTransactionGuard(state_, sequence);
}

Result<void> Producer::write(std::span<const std::byte> payload, std::chrono::nanoseconds timeout) {
    if (payload.size() > state_->config.slot_bytes) {
        return make_error(
            ErrorCode::invalid_argument,
            "payload of " + std::to_string(payload.size()) + " bytes exceeds slot_bytes " + std::to_string(state_->config.slot_bytes));
    }
    auto slot = acquire_write(timeout);
    if (!slot) return std::move(slot).error();
    std::memcpy(slot->buffer().data(), payload.data(), payload.size());
    return slot->commit(payload.size());
}

std::span<std::byte> Producer::flexible_zone(std::string_view name) const {
    const detail::FlexZoneEntry* zone = detail::find_zone(state_->view, name);
    if (zone == nullptr) return {};
    return {state_->view.base + zone->offset, zone->bytes};
}

Result<void> Producer::update_zone_checksum(std::string_view name) {
    detail::FlexZoneEntry* zone = detail::find_zone(state_->view, name);
    if (zone == nullptr) return make_error(ErrorCode::not_found, "no flexible zone '" + std::string(name) + "'");
    if (state_->checksum->compute == nullptr) {
        return make_error(ErrorCode::invalid_argument, "datablock '" + state_->shm.name() + "' has checksum policy none");
    }
    zone->digest_valid.store(0, std::memory_order_release);
    state_->checksum->compute(state_->view.base + zone->offset, zone->bytes, zone->digest);
    zone->digest_valid.store(1, std::memory_order_release);
    return {};
}

Result<void> Producer::skip_to(std::uint64_t sequence, std::chrono::nanoseconds timeout) {
    ProducerState& s = *state_;
    if (s.open_guards > 0) {
        return make_error(ErrorCode::busy, "datablock '" + s.shm.name() + "': commit or abandon the slot being written first");
    }
    if (sequence < s.next_sequence) {
        return make_error(ErrorCode::invalid_argument,
                          "datablock '" + s.shm.name() + "': cannot skip back to sequence " + std::to_string(sequence) + " (next is " +
                              std::to_string(s.next_sequence) + ")");
    }
    if (sequence == s.next_sequence) return {};
    if (s.lossless()) {
        // Lossless readers move up to the floor only when they have read
        // everything below it that was committed: wait until they have.
        auto drained = [&] { return s.min_consumer_position(s.next_sequence) >= s.next_sequence; };
        detail::Deadline deadline(timeout);
        if (!detail::wait_until(s.options.wait, s.header().space_futex, s.header().space_waiters, deadline, drained,
                                [&] { s.retire_dead_consumers(); })) {
            return make_error(ErrorCode::timeout,
                              "datablock '" + s.shm.name() + "': cannot skip to sequence " + std::to_string(sequence) +
                                  " while waiting for " + s.slowest_consumer());
        }
    }
    // The floor before the count: a reader that sees the new count sees the floor.
    s.header().sequence_floor.store(sequence, std::memory_order_seq_cst);
    s.header().commit_count.store(sequence, std::memory_order_seq_cst);
    s.next_sequence = sequence;
    return {};
}

Result<std::uint64_t> Producer::write_zone(std::string_view name, std::span<const std::byte> data, std::chrono::nanoseconds timeout) {
    return detail::write_zone(state_->view, *state_->checksum, name, data, timeout);
}

const std::string& Producer::shm_name() const { return state_->shm.name(); }
const crypto::SharedSecret& Producer::secret() const { return state_->secret; }
const DataBlockConfig& Producer::config() const { return state_->config; }
const std::optional<schema::SchemaInfo>& Producer::schema() const { return state_->options.schema; }
DataBlockMetrics Producer::metrics() const { return detail::read_metrics(state_->view); }
std::uint64_t Producer::next_sequence() const { return state_->next_sequence; }

// --- WriteTransactionGuard ---------------------------------------------------

WriteTransactionGuard::WriteTransactionGuard(WriteTransactionGuard&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)), sequence_(other.sequence_) {}

WriteTransactionGuard::~WriteTransactionGuard() { abandon(); }

std::span<std::byte> WriteTransactionGuard::buffer() const noexcept {
    if (state_ == nullptr) return {};
    return {state_->view.slot_data(sequence_), state_->config.slot_bytes};
}

Result<void> WriteTransactionGuard::update_checksum(std::size_t bytes) {
    if (state_ == nullptr) return make_error(ErrorCode::invalid_argument, "update_checksum on a released slot");
    if (state_->checksum->compute == nullptr) return make_error(ErrorCode::invalid_argument, "checksum policy is none");
    if (bytes > state_->config.slot_bytes) {
        return make_error(ErrorCode::invalid_argument, std::to_string(bytes) + " bytes exceed the slot");
    }
    state_->checksum->compute(state_->view.slot_data(sequence_), bytes, state_->view.digest(sequence_));
    return {};
}

Result<void> WriteTransactionGuard::commit(std::size_t bytes) {
    const std::uint64_t now = platform::monotonic_time_ns();
    return commit_stamped(bytes, now, now);
}

Result<void> WriteTransactionGuard::commit_at(std::size_t bytes, std::uint64_t commit_ns) {
    return commit_stamped(bytes, commit_ns, platform::monotonic_time_ns());
}

Result<void> WriteTransactionGuard::commit_stamped(std::size_t bytes, std::uint64_t commit_ns, std::uint64_t now) {
    if (state_ == nullptr) return make_error(ErrorCode::invalid_argument, "commit of a released slot");
    ProducerState& s = *state_;
    if (bytes > s.config.slot_bytes) {
        return make_error(ErrorCode::invalid_argument,
                          "commit of " + std::to_string(bytes) + " bytes exceeds slot_bytes " + std::to_string(s.config.slot_bytes));
    }
    if (s.producer_gone) {
        abandon();
        return make_error(ErrorCode::closed, "commit after the producer was closed; the slot is abandoned");
    }
    if (s.enforced_checksum()) s.checksum->compute(s.view.slot_data(sequence_), bytes, s.view.digest(sequence_));
    const plh_slot_result committed = plh_slot_rw_commit(s.view.slot_state(sequence_), s.owner, sequence_, bytes, commit_ns, nullptr);
    if (committed != PLH_SLOT_OK) {
        abandon();
        return make_error(ErrorCode::unrecoverable,
                          "commit of sequence " + std::to_string(sequence_) + ": " + plh_slot_result_string(committed));
    }
    s.count_committed(1);
    s.publish_up_to(sequence_ + 1, now);
    // The next write's lock is a locked instruction that would wait for the
    // slot's line to come back from the readers: start fetching it now.
    platform::prefetch_for_write(s.view.slot_state(sequence_ + 1));
    std::exchange(state_, nullptr)->guard_done();
    return {};
}

void WriteTransactionGuard::abandon() noexcept {
    if (state_ == nullptr) return;
    ProducerState& s = *std::exchange(state_, nullptr);
    plh_slot_rw_release_write(s.view.slot_state(sequence_), s.owner, &s.header().producer_metrics);
    s.guard_done();
}

}  // namespace pylabhub::datablock
