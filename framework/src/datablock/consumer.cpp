#include "pylabhub/datablock/consumer.hpp"

#include <cstring>
#include <thread>

#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/log.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "consumer_state.hpp"
#include "flex_zone.hpp"
#include "segment.hpp"
#include "wait.hpp"

namespace pylabhub::datablock {
namespace detail {
namespace {

std::string checksum_name(std::uint32_t id) {
    if (const ChecksumPolicy* builtin = builtin_checksum_by_id(id)) return builtin->name;
    return "plugin policy " + std::to_string(id);
}

Error refused(const std::string& name, const std::string& why) {
    return make_error(ErrorCode::mismatch, "attach to datablock '" + name + "' refused: " + why);
}

template <typename T>
Error differs(const std::string& name, const char* field, const T& segment, const T& expected) {
    return refused(name, std::string(field) + " differs: the segment has " + std::string(segment) + ", expected " + std::string(expected));
}

/// Waits for the creator to finish the header, checks it, then the secret.
Result<SegmentLayout> check_header(const platform::SharedMemory& shm, const ConsumerOptions& options) {
    const std::string& name = shm.name();
    if (shm.size() >= sizeof(SegmentHeader)) {
        const SegmentHeader& h = *reinterpret_cast<const SegmentHeader*>(shm.data());
        const std::uint64_t deadline = deadline_after(options.attach_timeout);
        while (h.magic.load(std::memory_order_acquire) == 0 && platform::monotonic_time_ns() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (h.magic.load(std::memory_order_acquire) == 0) {
            return make_error(ErrorCode::timeout,
                              "attach to datablock '" + name + "': its creator did not finish initialising it within " +
                                  std::to_string(options.attach_timeout.count()) + " ms");
        }
    }
    auto layout = read_segment_layout(shm);
    if (!layout) return refused(name, layout.error().message);
    const SegmentHeader& h = *reinterpret_cast<const SegmentHeader*>(shm.data());
    if (!crypto::constant_time_equal(std::span(h.shared_secret), std::span(options.secret))) {
        return refused(name, "wrong shared secret");
    }
    return layout;
}

Result<void> check_expectations(SegmentHeader& h, const DataBlockInfo& info, const ConsumerOptions& options) {
    const std::string& name = info.shm_name;
    if (options.expected) {
        const DataBlockConfig& want = *options.expected;
        const DataBlockConfig& have = info.config;
        if (have.sync != want.sync) return differs(name, "sync policy", to_string(have.sync), to_string(want.sync));
        const std::uint32_t want_checksum =
            want.checksum_policy != nullptr ? want.checksum_policy->id : static_cast<std::uint32_t>(want.checksum);
        if (h.checksum_policy != want_checksum) {
            return differs(name, "checksum policy", checksum_name(h.checksum_policy), checksum_name(want_checksum));
        }
        if (have.checksum_mode != want.checksum_mode) {
            return differs(name, "checksum mode", to_string(have.checksum_mode), to_string(want.checksum_mode));
        }
        if (have.slot_count != want.slot_count) {
            return differs(name, "slot_count", std::to_string(have.slot_count), std::to_string(want.slot_count));
        }
        if (have.slot_bytes != want.slot_bytes) {
            return differs(name, "slot_bytes", std::to_string(have.slot_bytes), std::to_string(want.slot_bytes));
        }
    }
    if (options.schema) {
        if (!info.schema) {
            h.schema_mismatches.fetch_add(1, std::memory_order_relaxed);
            return refused(
                name,
                "schema expected ('" + options.schema->name + "' hash " + options.schema->hash_hex() + "), but the segment declares none");
        }
        if (auto compatible = schema::check_compatible(*options.schema, *info.schema); !compatible) {
            h.schema_mismatches.fetch_add(1, std::memory_order_relaxed);
            return refused(name, compatible.error().message);
        }
    }
    return {};
}

DataBlockInfo describe(const platform::SharedMemory& shm, const SegmentView& view) {
    const SegmentHeader& h = view.header();
    DataBlockInfo info;
    info.shm_name = shm.name();
    info.config = recorded_config(view);
    info.schema = recorded_schema(view);
    info.producer_pid = h.creator_pid;
    return info;
}

/// Claims a row of the consumer table, taking over rows of dead consumers.
Result<ConsumerEntry*> join_table(ConsumerState& s) {
    SegmentHeader& h = s.header();
    std::string holders;
    for (std::uint32_t i = 0; i < s.view.layout.max_consumers; ++i) {
        ConsumerEntry& entry = s.view.consumers()[i];
        std::uint64_t who = entry.owner.load(std::memory_order_acquire);
        if (who != 0 && platform::is_owner_word_alive(who)) {
            holders += (holders.empty() ? "pid " : ", pid ") + std::to_string(platform::owner_word_pid(who));
            continue;
        }
        const bool stale = who != 0;
        if (!entry.owner.compare_exchange_strong(who, s.owner, std::memory_order_acq_rel)) continue;
        std::uint64_t resume = kNoSequence;
        if (stale) {
            // The row of a consumer that died: what it read still counts,
            // and a slot it was inside must not stay blocked.
            const bool held_the_writer = entry.active.load(std::memory_order_seq_cst) != 0 && s.lossless();
            const std::uint64_t left_at = entry.position.load(std::memory_order_seq_cst);
            settle_dead_consumer(s.view, entry);
            // On a lossless ring its place held the writer back, so every
            // slot from where it stopped is still there: its successor
            // takes them up, and a crash loses nothing committed.
            const std::uint64_t committed = h.commit_count.load(std::memory_order_seq_cst);
            if (held_the_writer && left_at <= committed && committed - left_at <= s.view.layout.slot_count) resume = left_at;
            log::logger().warn("datablock '{}': took over the consumer row of dead pid {}{}", s.shm.name(), platform::owner_word_pid(who),
                               resume == kNoSequence ? std::string()
                                                     : "; resuming where it stopped, at sequence " + std::to_string(resume) + " (" +
                                       std::to_string(committed - resume) + " slots it had not read)");
        }
        entry.start_time.store(platform::current_process().start_time, std::memory_order_relaxed);
        entry.slots_read.store(0, std::memory_order_relaxed);
        entry.reading.store(kNoSequence, std::memory_order_relaxed);
        entry.last_heartbeat_ns.store(platform::monotonic_time_ns(), std::memory_order_relaxed);
        // Start at the next slot to be committed: a consumer sees what is
        // published after it joined, not history (unless it inherits a
        // dead reader's unread slots, above).
        const std::uint64_t start = resume != kNoSequence ? std::max(resume, h.sequence_floor.load(std::memory_order_seq_cst))
                                                          : h.commit_count.load(std::memory_order_seq_cst);
        entry.position.store(start, std::memory_order_seq_cst);
        entry.active.store(1, std::memory_order_seq_cst);
        s.next_sequence = start;
        h.consumer_attaches.fetch_add(1, std::memory_order_relaxed);
        return &entry;
    }
    if (h.sync_policy == static_cast<std::uint32_t>(SyncPolicy::single_reader)) {
        return make_error(ErrorCode::busy,
                          "attach to datablock '" + s.shm.name() + "' refused: single_reader allows one consumer and " + holders +
                              " is attached (use sync_reader for several)");
    }
    return make_error(ErrorCode::busy,
                      "attach to datablock '" + s.shm.name() + "' refused: consumer table full (" + std::to_string(h.max_consumers) +
                          " rows, held by " + holders + ")");
}

}  // namespace
}  // namespace detail

using detail::ConsumerState;
using detail::kNoSequence;

Result<Consumer> Consumer::attach(std::string_view shm_name, ConsumerOptions options) {
    auto shm = platform::SharedMemory::attach(shm_name);
    if (!shm) return std::move(shm).error();
    if (!options.allow_other_owner && !shm->owned_by_this_user()) {
        return detail::refused(shm->name(),
                               "it belongs to another user, who can change anything in it; allow that "
                               "explicitly (a pipeline: 'allow_other_owner: true' on the external channel)");
    }
    auto layout = detail::check_header(*shm, options);
    if (!layout) return std::move(layout).error();

    auto state = std::make_unique<ConsumerState>(std::move(shm).value(), *layout, std::move(options));
    state->info = detail::describe(state->shm, state->view);
    if (auto fine = detail::check_expectations(state->header(), state->info, state->options); !fine) {
        return std::move(fine).error();
    }
    const std::uint32_t policy_id = state->header().checksum_policy;
    state->checksum = builtin_checksum_by_id(policy_id);
    for (const ChecksumPolicy* plugin : state->options.checksum_policies) {
        if (state->checksum == nullptr && plugin != nullptr && plugin->id == policy_id) state->checksum = plugin;
    }
    if (state->checksum == nullptr) {
        return detail::refused(
            state->shm.name(),
            "checksum policy id " + std::to_string(policy_id) + " is not known here (a checksum plugin the producer used?)");
    }
    if (policy_id >= kFirstPluginChecksumId) state->info.config.checksum_policy = state->checksum;
    if (state->checksum->digest_bytes != state->header().digest_bytes) {
        return detail::refused(state->shm.name(),
                               "checksum policy '" + std::string(state->checksum->name) + "' makes " +
                                   std::to_string(state->checksum->digest_bytes) + "-byte digests, the segment holds " +
                                   std::to_string(state->header().digest_bytes));
    }
    auto entry = detail::join_table(*state);
    if (!entry) return std::move(entry).error();
    state->entry = *entry;
    return Consumer(state.release());
}

Consumer::Consumer(Consumer&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}

Consumer& Consumer::operator=(Consumer&& other) noexcept {
    if (this != &other) {
        detach();
        state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
}

Consumer::~Consumer() { detach(); }

void Consumer::detach() noexcept {
    if (state_ == nullptr) return;
    ConsumerState& s = *state_;
    if (s.open_guards == 0) {
        s.leave_table();
        delete state_;
    } else {
        s.consumer_gone = true;  // the last guard finishes the detach
    }
    state_ = nullptr;
}

Result<ReadTransactionGuard> Consumer::acquire_read(std::chrono::nanoseconds timeout) {
    ConsumerState& s = *state_;
    detail::SegmentHeader& h = s.header();
    if (s.open_guards > 0) {
        return make_error(ErrorCode::busy, "datablock '" + s.shm.name() + "': release the slot being read first");
    }
    // The clock is read only when this call has to wait: a slot that is
    // there already costs no clock read (a vDSO call is not free on a VM).
    detail::Deadline deadline(timeout);
    const bool latest_only = !s.lossless();
    for (;;) {
        auto committed = s.wait_committed(timeout, deadline);
        if (!committed) return std::move(committed).error();
        const std::uint64_t target = latest_only ? *committed - 1 : s.next_sequence;
        std::uint64_t generation = 0;
        if (!latest_only) {
            // This reader's position keeps the writer off the slot (as for a
            // run): it is checked, not entered, so the writer's next lap
            // finds the slot's line unwritten by readers. `reading` is for
            // diagnostics only here (nothing to undo).
            s.entry->reading.store(target, std::memory_order_relaxed);
            if (const plh_slot_result seen = plh_slot_rw_peek_read(s.view.slot_state(target), target, &generation, &h.consumer_metrics);
                seen != PLH_SLOT_OK) {
                s.entry->reading.store(kNoSequence, std::memory_order_relaxed);
                return s.lost_slot_error(target, seen);
            }
        } else {
            // Recorded before entering, so a writer that finds us dead can undo it.
            s.entry->reading.store(target, std::memory_order_seq_cst);
            if (plh_slot_rw_acquire_read(s.view.slot_state(target), target, &generation, &h.consumer_metrics) != PLH_SLOT_OK) {
                s.entry->reading.store(kNoSequence, std::memory_order_seq_cst);
                // The writer is rewriting or has moved past it: take the newest again.
                if (deadline.passed(platform::monotonic_time_ns())) {
                    h.reader_timeouts.fetch_add(1, std::memory_order_relaxed);
                    return make_error(ErrorCode::timeout, "datablock '" + s.shm.name() + "': no stable slot within the timeout");
                }
                platform::cpu_relax();
                continue;
            }
        }
        s.count_reads(1);
        ++s.open_guards;
        ReadTransactionGuard guard(state_, target, generation);

        if (s.checksum_enforced()) {
            if (auto verified = guard.verify_checksum(); !verified) {
                if (latest_only && !guard.validate()) {
                    (void)guard.release();  // overtaken, not corrupt: counted as torn; try the newest
                    continue;
                }
                h.checksum_failures.fetch_add(1, std::memory_order_relaxed);
                (void)guard.release();  // skip it: never handed out, never read twice
                return std::move(verified).error();
            }
        }
        return guard;
    }
}

std::span<const std::byte> Consumer::flexible_zone(std::string_view name) const {
    const detail::FlexZoneEntry* zone = detail::find_zone(state_->view, name);
    if (zone == nullptr) return {};
    return {state_->view.base + zone->offset, zone->bytes};
}

Result<void> Consumer::verify_zone_checksum(std::string_view name) const {
    const detail::FlexZoneEntry* zone = detail::find_zone(state_->view, name);
    if (zone == nullptr) return make_error(ErrorCode::not_found, "no flexible zone '" + std::string(name) + "'");
    if (state_->checksum->compute == nullptr) return make_error(ErrorCode::invalid_argument, "checksum policy is none");
    if (zone->digest_valid.load(std::memory_order_acquire) == 0) {
        return make_error(ErrorCode::not_found, "flexible zone '" + std::string(name) + "' has no checksum yet");
    }
    std::uint8_t digest[kMaxDigestBytes] = {};
    state_->checksum->compute(state_->view.base + zone->offset, zone->bytes, digest);
    if (std::memcmp(digest, zone->digest, state_->checksum->digest_bytes) != 0) {
        state_->header().checksum_failures.fetch_add(1, std::memory_order_relaxed);
        return make_error(ErrorCode::corrupt,
                          "flexible zone '" + std::string(name) + "' fails its " + state_->checksum->name + " checksum");
    }
    return {};
}

Result<std::uint64_t> Consumer::read_zone(std::string_view name, std::span<std::byte> out, std::chrono::nanoseconds timeout) const {
    return detail::read_zone(state_->view, state_->checksum, name, out, timeout, &state_->header().checksum_failures);
}

void Consumer::heartbeat() noexcept { state_->heartbeat(); }

namespace detail {
void ConsumerState::heartbeat() noexcept { entry->last_heartbeat_ns.store(platform::monotonic_time_ns(), std::memory_order_relaxed); }

Error ConsumerState::closed_error() const {
    return make_error(ErrorCode::closed, "datablock '" + shm.name() + "': the producer closed it and every committed slot was read");
}

Result<std::uint64_t> ConsumerState::wait_committed(std::chrono::nanoseconds timeout, Deadline& deadline) {
    SegmentHeader& h = header();
    std::uint64_t committed = 0;
    auto available = [&] {
        committed = h.commit_count.load(std::memory_order_seq_cst);
        if (const std::uint64_t floor = h.sequence_floor.load(std::memory_order_seq_cst); floor > next_sequence) {
            next_sequence = floor;  // the writer skipped these ids (Producer::skip_to): a gap
            entry->position.store(floor, std::memory_order_seq_cst);
        }
        return committed > next_sequence;
    };
    if (available()) return committed;
    if (h.closed.load(std::memory_order_seq_cst) != 0 && !available()) return closed_error();
    auto ready = [&] { return available() || h.closed.load(std::memory_order_seq_cst) != 0; };
    if (!wait_until(options.wait, h.commit_futex, h.commit_waiters, deadline, ready, [&] { heartbeat(); })) {
        h.reader_timeouts.fetch_add(1, std::memory_order_relaxed);
        return make_error(ErrorCode::timeout,
                          "datablock '" + shm.name() + "': no new slot within " + std::to_string(timeout.count() / 1'000'000) + " ms");
    }
    if (available()) return committed;
    return closed_error();  // woken by close with everything read
}

Error ConsumerState::lost_slot_error(std::uint64_t sequence, plh_slot_result result) const {
    return make_error(ErrorCode::unrecoverable,
                      "datablock '" + shm.name() + "': sequence " + std::to_string(sequence) + " " + plh_slot_result_string(result) +
                          " although committed; was this consumer retired as dead?");
}

std::span<const std::byte> ConsumerState::payload(std::uint64_t sequence) const {
    const auto* slot = view.slot_state(sequence);
    const std::uint64_t bytes =
        std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(slot->payload_bytes)).load(std::memory_order_relaxed);
    return {view.slot_data(sequence), std::min<std::uint64_t>(bytes, info.config.slot_bytes)};
}

Result<void> ConsumerState::verify_slot(std::uint64_t sequence, std::span<const std::byte> data) const {
    std::uint8_t digest[kMaxDigestBytes] = {};
    checksum->compute(data.data(), data.size(), digest);
    if (std::memcmp(digest, view.digest(sequence), checksum->digest_bytes) != 0) {
        return make_error(ErrorCode::corrupt,
                          "datablock '" + shm.name() + "': slot with sequence " + std::to_string(sequence) + " fails its " +
                              checksum->name + " checksum");
    }
    return {};
}
}  // namespace detail

const DataBlockInfo& Consumer::info() const { return state_->info; }
DataBlockMetrics Consumer::metrics() const { return detail::read_metrics(state_->view); }

// --- ReadTransactionGuard ----------------------------------------------------

ReadTransactionGuard::ReadTransactionGuard(ReadTransactionGuard&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)), sequence_(other.sequence_), generation_(other.generation_) {}

ReadTransactionGuard::~ReadTransactionGuard() { (void)release(); }

std::span<const std::byte> ReadTransactionGuard::buffer() const noexcept {
    if (state_ == nullptr) return {};
    return state_->payload(sequence_);
}

std::uint64_t ReadTransactionGuard::commit_ns() const noexcept {
    if (state_ == nullptr) return 0;
    auto* slot = state_->view.slot_state(sequence_);
    return std::atomic_ref<std::uint64_t>(slot->commit_ns).load(std::memory_order_relaxed);
}

bool ReadTransactionGuard::validate() const noexcept {
    if (state_ == nullptr) return false;
    return plh_slot_rw_validate_read(state_->view.slot_state(sequence_), generation_, nullptr) != 0;
}

Result<std::size_t> ReadTransactionGuard::copy_to(std::span<std::byte> out) const {
    const auto payload = buffer();
    if (state_ == nullptr) return make_error(ErrorCode::invalid_argument, "copy from a released slot");
    if (out.size() < payload.size()) {
        return make_error(
            ErrorCode::invalid_argument,
            "buffer of " + std::to_string(out.size()) + " bytes is smaller than the payload (" + std::to_string(payload.size()) + ")");
    }
    std::memcpy(out.data(), payload.data(), payload.size());
    if (!validate()) {
        return make_error(ErrorCode::corrupt,
                          "slot with sequence " + std::to_string(sequence_) + " was overwritten during the copy; the copy is void");
    }
    return payload.size();
}

Result<void> ReadTransactionGuard::verify_checksum() const {
    if (state_ == nullptr) return make_error(ErrorCode::invalid_argument, "verify_checksum on a released slot");
    if (state_->checksum->compute == nullptr) return make_error(ErrorCode::invalid_argument, "checksum policy is none");
    return state_->verify_slot(sequence_, buffer());
}

Result<void> ReadTransactionGuard::release() noexcept {
    if (state_ == nullptr) return {};
    ConsumerState& s = *std::exchange(state_, nullptr);
    auto* slot = s.view.slot_state(sequence_);
    const bool whole = plh_slot_rw_validate_read(slot, generation_, &s.header().consumer_metrics) != 0;
    if (s.lossless()) {
        s.entry->reading.store(kNoSequence, std::memory_order_relaxed);
    } else {
        // No reads_ok count: that counter is shared by every consumer (one
        // contended cache line per read); slots_read below is this row's.
        plh_slot_rw_release_read(slot, nullptr);
        s.entry->reading.store(kNoSequence, std::memory_order_seq_cst);
    }
    if (whole) s.count_slots_read(1);
    s.advance_past(sequence_);
    if (whole) {
        s.guard_done();
        return {};
    }
    // Only the error path builds a message (this runs once per slot).
    Error error = make_error(ErrorCode::corrupt,
                             "datablock '" + s.shm.name() + "': slot with sequence " + std::to_string(sequence_) +
                                 " was overwritten while being read (latest_only); the read is void");
    s.guard_done();
    return error;
}

}  // namespace pylabhub::datablock
