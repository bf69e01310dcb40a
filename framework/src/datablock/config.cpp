#include "pylabhub/datablock/config.hpp"

#include "pylabhub/datablock/checksum.hpp"

#include <set>

namespace pylabhub::datablock {
namespace {

template <typename Enum, std::size_t N>
Result<Enum> parse_name(std::string_view text, const std::pair<std::string_view, Enum> (&names)[N], const char* what) {
    std::string known;
    for (const auto& [name, value] : names) {
        if (text == name) return value;
        known += (known.empty() ? "" : ", ") + std::string(name);
    }
    return make_error(ErrorCode::invalid_argument,
                      "unknown " + std::string(what) + " '" + std::string(text) + "' (expected " + known + ")");
}

constexpr std::pair<std::string_view, SyncPolicy> kSyncNames[] = {
    {"latest_only", SyncPolicy::latest_only},
    {"single_reader", SyncPolicy::single_reader},
    {"sync_reader", SyncPolicy::sync_reader},
};
constexpr std::pair<std::string_view, ChecksumKind> kChecksumNames[] = {
    {"none", ChecksumKind::none}, {"blake2b", ChecksumKind::blake2b}, {"xxh3", ChecksumKind::xxh3}};
constexpr std::pair<std::string_view, WaitStrategy> kWaitNames[] = {
    {"busy_poll", WaitStrategy::busy_poll}, {"spin_yield", WaitStrategy::spin_yield}, {"blocking", WaitStrategy::blocking}};

template <typename Enum, std::size_t N>
std::string_view name_of(Enum value, const std::pair<std::string_view, Enum> (&names)[N]) noexcept {
    for (const auto& [name, candidate] : names) {
        if (candidate == value) return name;
    }
    return "unknown";
}

}  // namespace

std::string_view to_string(SyncPolicy policy) noexcept { return name_of(policy, kSyncNames); }
std::string_view to_string(ChecksumKind kind) noexcept { return name_of(kind, kChecksumNames); }
std::string_view to_string(WaitStrategy strategy) noexcept { return name_of(strategy, kWaitNames); }
std::string_view to_string(ChecksumMode mode) noexcept {
    return mode == ChecksumMode::manual ? "manual" : mode == ChecksumMode::enforced ? "enforced" : "unknown";
}

Result<SyncPolicy> parse_sync_policy(std::string_view text) { return parse_name(text, kSyncNames, "sync policy"); }
Result<ChecksumKind> parse_checksum_kind(std::string_view text) { return parse_name(text, kChecksumNames, "checksum policy"); }
Result<WaitStrategy> parse_wait_strategy(std::string_view text) { return parse_name(text, kWaitNames, "wait strategy"); }

Result<void> DataBlockConfig::validate() const {
    std::string problems;
    auto problem = [&](const std::string& text) { problems += (problems.empty() ? "" : "; ") + text; };
    if (slot_count == 0 || slot_count > (1U << 20)) problem("slot_count must be 1..1048576, not " + std::to_string(slot_count));
    if (slot_bytes == 0 || slot_bytes > (std::size_t{1} << 30)) {
        problem("slot_bytes must be 1..1073741824, not " + std::to_string(slot_bytes));
    }
    if (sync != SyncPolicy::latest_only && sync != SyncPolicy::single_reader && sync != SyncPolicy::sync_reader) {
        problem("unknown sync policy " + std::to_string(static_cast<std::uint32_t>(sync)));
    }
    if (checksum != ChecksumKind::none && checksum != ChecksumKind::blake2b && checksum != ChecksumKind::xxh3) {
        problem("unknown checksum policy " + std::to_string(static_cast<std::uint32_t>(checksum)));
    }
    if (checksum_policy != nullptr &&
        (checksum_policy->id < kFirstPluginChecksumId || checksum_policy->digest_bytes == 0 ||
         checksum_policy->digest_bytes > kMaxDigestBytes || checksum_policy->compute == nullptr)) {
        problem("checksum plugin policy '" + std::string(checksum_policy->name ? checksum_policy->name : "?") +
                "' needs an id of at least 1000, a digest of 1..32 bytes and a compute function");
    }
    if (checksum_mode != ChecksumMode::manual && checksum_mode != ChecksumMode::enforced) {
        problem("unknown checksum mode " + std::to_string(static_cast<std::uint32_t>(checksum_mode)));
    }
    if (max_consumers == 0 || max_consumers > 1024) {
        problem("max_consumers must be 1..1024, not " + std::to_string(max_consumers));
    }
    if ((permissions & ~0777U) != 0) problem("permissions must be within 0777");
    std::set<std::string> zone_names;
    for (const auto& zone : flex_zones) {
        if (zone.name.empty() || zone.name.size() > 31) problem("flexible zone name '" + zone.name + "' must be 1..31 characters");
        if (zone.bytes == 0) problem("flexible zone '" + zone.name + "' has size 0");
        if (!zone_names.insert(zone.name).second) problem("flexible zone '" + zone.name + "' is declared twice");
    }
    if (flex_zones.size() > 64) problem("at most 64 flexible zones");
    if (!problems.empty()) return make_error(ErrorCode::invalid_argument, "DataBlock config: " + problems);
    return {};
}

}  // namespace pylabhub::datablock
