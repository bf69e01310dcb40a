#include "flex_zone.hpp"

#include <cstring>
#include <thread>

#include "pylabhub/platform/backoff.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/seqlock.hpp"

namespace pylabhub::datablock::detail {
namespace {

Result<FlexZoneEntry*> zone_named(const SegmentView& view, std::string_view name) {
    FlexZoneEntry* zone = find_zone(view, name);
    if (zone == nullptr) return make_error(ErrorCode::not_found, "no flexible zone '" + std::string(name) + "'");
    // The entry lives in shared memory another process can write: never
    // follow it outside the mapping.
    if (zone->offset < view.layout.zone_data_offset || zone->bytes > view.layout.total_bytes ||
        zone->offset + zone->bytes > view.layout.slots_offset) {
        return make_error(ErrorCode::corrupt, "flexible zone '" + std::string(name) + "' points outside its region");
    }
    return zone;
}

bool writer_died(const FlexZoneEntry& zone) {
    const std::uint64_t writer = zone.writer.load(std::memory_order_acquire);
    return writer != 0 && !platform::is_owner_word_alive(writer);
}

}  // namespace

Result<std::uint64_t> write_zone(const SegmentView& view, const ChecksumPolicy& checksum, std::string_view name,
                                 std::span<const std::byte> data, std::chrono::nanoseconds timeout) {
    auto found = zone_named(view, name);
    if (!found) return std::move(found).error();
    FlexZoneEntry& zone = **found;
    if (data.size() > zone.bytes) {
        return make_error(
            ErrorCode::invalid_argument,
            "flexible zone '" + std::string(name) + "' holds " + std::to_string(zone.bytes) + " bytes, not " + std::to_string(data.size()));
    }
    const std::uint64_t me = platform::owner_word(platform::current_process());
    const std::uint64_t deadline = platform::monotonic_time_ns() + static_cast<std::uint64_t>(timeout.count());
    std::uint64_t claimed = 0;
    for (platform::Backoff backoff;; backoff.pause()) {
        std::uint64_t generation = zone.generation.load(std::memory_order_acquire);
        if ((generation & 1U) == 0) {
            if (zone.generation.compare_exchange_weak(generation, generation + 1, std::memory_order_acq_rel)) {
                claimed = generation + 1;
                break;
            }
        } else if (writer_died(zone) && zone.generation.compare_exchange_weak(generation, generation + 2, std::memory_order_acq_rel)) {
            claimed = generation + 2;  // still odd: we finish what the dead writer began
            break;
        }
        if (platform::monotonic_time_ns() >= deadline) {
            return make_error(ErrorCode::timeout, "flexible zone '" + std::string(name) + "' is being written by another thread");
        }
    }
    zone.writer.store(me, std::memory_order_release);
    zone.digest_valid.store(0, std::memory_order_relaxed);
    std::byte* bytes = view.base + zone.offset;
    std::memcpy(bytes, data.data(), data.size());
    std::memset(bytes + data.size(), 0, zone.bytes - data.size());
    if (checksum.compute != nullptr) {
        checksum.compute(bytes, zone.bytes, zone.digest);
        zone.digest_valid.store(1, std::memory_order_relaxed);
    }
    zone.writer.store(0, std::memory_order_relaxed);
    zone.generation.store(claimed + 1, std::memory_order_release);
    return (claimed + 1) / 2;
}

Result<std::uint64_t> read_zone(const SegmentView& view, const ChecksumPolicy* checksum, std::string_view name, std::span<std::byte> out,
                                std::chrono::nanoseconds timeout, std::atomic<std::uint64_t>* checksum_failures) {
    auto found = zone_named(view, name);
    if (!found) return std::move(found).error();
    const FlexZoneEntry& zone = **found;
    if (out.size() < zone.bytes) {
        return make_error(ErrorCode::invalid_argument,
                          "flexible zone '" + std::string(name) + "' holds " + std::to_string(zone.bytes) + " bytes; the buffer has " +
                              std::to_string(out.size()));
    }
    const std::uint64_t deadline = platform::monotonic_time_ns() + static_cast<std::uint64_t>(timeout.count());
    std::uint8_t digest[kMaxDigestBytes] = {};
    for (platform::Backoff backoff;; backoff.pause()) {
        const std::uint64_t before = zone.generation.load(std::memory_order_acquire);
        if ((before & 1U) == 0) {
            std::memcpy(out.data(), view.base + zone.offset, zone.bytes);
            std::memcpy(digest, zone.digest, sizeof digest);
            const bool has_digest = zone.digest_valid.load(std::memory_order_relaxed) != 0;
            const auto* generation_word = reinterpret_cast<const std::uint64_t*>(&zone.generation);
            if (platform::load_after_plain_reads(*generation_word) == before) {
                if (checksum != nullptr && checksum->compute != nullptr && has_digest) {
                    std::uint8_t computed[kMaxDigestBytes] = {};
                    checksum->compute(out.data(), zone.bytes, computed);
                    if (std::memcmp(computed, digest, checksum->digest_bytes) != 0) {
                        if (checksum_failures != nullptr) checksum_failures->fetch_add(1, std::memory_order_relaxed);
                        return make_error(ErrorCode::corrupt,
                                          "flexible zone '" + std::string(name) + "' fails its " + checksum->name + " checksum");
                    }
                }
                return before / 2;
            }
            continue;  // a write went by: copy again
        }
        if (writer_died(zone)) {
            return make_error(
                ErrorCode::corrupt,
                "flexible zone '" + std::string(name) + "' was left half-written by a process that died; its next write repairs it");
        }
        if (platform::monotonic_time_ns() >= deadline) {
            return make_error(ErrorCode::timeout, "flexible zone '" + std::string(name) + "' stayed locked by its writer");
        }
    }
}

}  // namespace pylabhub::datablock::detail
