#include "pylabhub/datablock/observer.hpp"

#include <atomic>
#include <cstring>

#include "pylabhub/platform/seqlock.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "flex_zone.hpp"
#include "segment.hpp"
#include "wait.hpp"

namespace pylabhub::datablock {

struct Observer::State {
    platform::SharedMemory shm;
    detail::SegmentView view;
};

Result<Observer> Observer::attach(std::string_view shm_name, const crypto::SharedSecret& secret) {
    auto opened = detail::open_segment(shm_name, "observe ");
    if (!opened) return std::move(opened).error();
    const auto& header = *reinterpret_cast<const detail::SegmentHeader*>(opened->shm.data());
    if (!crypto::constant_time_equal(std::span(header.shared_secret), std::span(secret))) {
        return make_error(ErrorCode::mismatch, "observe datablock '" + opened->shm.name() + "' refused: wrong shared secret");
    }
    auto* state = new State{std::move(opened->shm), {}};
    state->view = detail::SegmentView{state->shm.data(), opened->layout};
    return Observer(state);
}

Observer::Observer(Observer&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
Observer& Observer::operator=(Observer&& other) noexcept {
    if (this != &other) {
        delete state_;
        state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
}
Observer::~Observer() { delete state_; }

std::optional<Newest> Observer::newest() const {
    const detail::SegmentHeader& h = state_->view.header();
    const std::uint64_t committed = h.commit_count.load(std::memory_order_acquire);
    if (committed == 0 || committed <= h.sequence_floor.load(std::memory_order_acquire)) return std::nullopt;
    const plh_slot_rw_state& slot = *state_->view.slot_state(committed - 1);
    const std::uint64_t commit_ns =
        std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(slot.commit_ns)).load(std::memory_order_relaxed);
    return Newest{committed - 1, commit_ns};
}

std::uint32_t Observer::slot_count() const { return state_->view.layout.slot_count; }
bool Observer::closed() const { return state_->view.header().closed.load() != 0; }

Result<bool> Observer::wait_for_commit(std::uint64_t after, std::chrono::nanoseconds timeout) {
    detail::SegmentHeader& h = state_->view.header();
    auto fresh = [&] {
        const std::uint64_t committed = h.commit_count.load(std::memory_order_acquire);
        return committed > h.sequence_floor.load(std::memory_order_acquire) && (after == UINT64_MAX || committed - 1 > after);
    };
    if (fresh()) return true;
    if (h.closed.load() != 0) return make_error(ErrorCode::closed, "datablock '" + state_->shm.name() + "' is closed");
    auto ready = [&] { return fresh() || h.closed.load() != 0; };
    detail::Deadline deadline(timeout);
    if (!detail::wait_until(WaitStrategy::blocking, h.commit_futex, h.commit_waiters, deadline, ready, [] {})) {
        return false;
    }
    if (!fresh()) return make_error(ErrorCode::closed, "datablock '" + state_->shm.name() + "' is closed");
    return true;
}

Result<ObservedSlot> Observer::read(std::uint64_t sequence) {
    detail::SegmentHeader& h = state_->view.header();
    const std::uint64_t committed = h.commit_count.load(std::memory_order_acquire);
    if (sequence >= committed) {
        return make_error(ErrorCode::invalid_argument,
                          "slot " + std::to_string(sequence) + " is not committed yet (newest: " +
                              (committed == 0 ? std::string("none") : std::to_string(committed - 1)) + ")");
    }
    auto gone = [&] { return make_error(ErrorCode::not_found, "slot " + std::to_string(sequence) + " was overwritten"); };
    if (committed - sequence > state_->view.layout.slot_count) return gone();
    const plh_slot_rw_state& slot = *state_->view.slot_state(sequence);
    const auto field = [](const std::uint64_t& f) {
        return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(f)).load(std::memory_order_relaxed);
    };
    const std::uint64_t generation =
        std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(slot.generation)).load(std::memory_order_acquire);
    const std::uint32_t state = std::atomic_ref<std::uint32_t>(const_cast<std::uint32_t&>(slot.state)).load(std::memory_order_relaxed);
    if ((generation & 1U) != 0 || state != PLH_SLOT_COMMITTED || field(slot.sequence) != sequence) return gone();
    ObservedSlot observed;
    observed.sequence = sequence;
    observed.commit_ns = field(slot.commit_ns);
    const auto bytes = std::min<std::uint64_t>(field(slot.payload_bytes), state_->view.layout.slot_stride);
    observed.payload.resize(bytes);
    std::memcpy(observed.payload.data(), state_->view.slot_data(sequence), bytes);
    const std::size_t digest_bytes = std::min<std::size_t>(state_->view.layout.digest_bytes, observed.digest.size());
    if (digest_bytes > 0) std::memcpy(observed.digest.data(), state_->view.digest(sequence), digest_bytes);
    if (platform::load_after_plain_reads(slot.generation) != generation) return gone();  // torn: never handed out
    return observed;
}

std::vector<FlexZoneSpec> Observer::zones() const { return detail::recorded_config(state_->view).flex_zones; }

Result<std::uint64_t> Observer::read_zone(std::string_view name, std::span<std::byte> out, std::chrono::nanoseconds timeout) const {
    const ChecksumPolicy* checksum = builtin_checksum_by_id(state_->view.header().checksum_policy);
    return detail::read_zone(state_->view, checksum, name, out, timeout, nullptr);
}

Result<ObservedSlot> Observer::next(std::uint64_t after, std::chrono::nanoseconds timeout) {
    detail::SegmentHeader& h = state_->view.header();
    detail::Deadline deadline(timeout);
    auto fresh = [&] {
        const std::uint64_t committed = h.commit_count.load(std::memory_order_acquire);
        return committed > h.sequence_floor.load(std::memory_order_acquire) && (after == UINT64_MAX || committed - 1 > after);
    };
    for (;;) {
        if (!fresh()) {
            if (h.closed.load() != 0) return make_error(ErrorCode::closed, "datablock '" + state_->shm.name() + "' is closed");
            auto ready = [&] { return fresh() || h.closed.load() != 0; };
            if (!detail::wait_until(WaitStrategy::blocking, h.commit_futex, h.commit_waiters, deadline, ready, [] {})) {
                return make_error(ErrorCode::timeout, "datablock '" + state_->shm.name() + "': nothing new within the timeout");
            }
            continue;
        }
        const std::uint64_t target = h.commit_count.load(std::memory_order_acquire) - 1;
        auto observed = read(target);
        if (!observed) continue;  // overtaken while copying: take the newest again
        return observed;
    }
}

}  // namespace pylabhub::datablock
