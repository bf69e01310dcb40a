// The recording file format (docs/recording-format.md). Header-only, so the
// recorder plugin (which sees only headers) and `pylabhub verify` share it.
//
//   FileHeader (64 bytes) | header JSON | Record | Record | ...
//   Record = RecordHeader (32 bytes) | payload | zero padding to 8 bytes
//
// Version 2 adds clock records (marker "PLHC"), written first and then
// periodically: the recorder's (monotonic, realtime) clock pair, so every
// record's commit time (monotonic) converts to UTC.
//
// Little-endian, as written by the machine that recorded. Records are only
// ever appended, so a crash leaves a readable prefix; every record carries
// its own checksum (XXH3-64 of the payload seeded with the XXH3-64 of the
// record header fields).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <xxhash.h>

namespace pylabhub::recording {

inline constexpr char kFileMagic[8] = {'P', 'L', 'H', 'R', 'E', 'C', '0', '1'};
inline constexpr std::uint32_t kFormatVersion = 2;
inline constexpr std::uint32_t kRecordMagic = 0x52484C50;  // "PLHR"
inline constexpr std::uint32_t kClockMagic = 0x43484C50;   // "PLHC"

/// One reading of both clocks, taken together: monotonic (what commit
/// timestamps use, CLOCK_MONOTONIC) and realtime (Unix time, UTC).
struct ClockPair {
    std::uint64_t monotonic_ns = 0;
    std::uint64_t realtime_ns = 0;
};

struct FileHeader {
    char magic[8];
    std::uint32_t version;
    std::uint32_t json_bytes;  ///< length of the JSON that follows
    std::uint64_t created_unix_ns;
    std::uint64_t json_checksum;    ///< XXH3-64 of the JSON
    std::uint64_t header_checksum;  ///< version 2: XXH3-64 of the 32 bytes above (version 1: 0)
    std::uint8_t reserved[24];      ///< zero
};
static_assert(sizeof(FileHeader) == 64);

struct RecordHeader {
    std::uint32_t magic;
    std::uint32_t payload_bytes;
    std::uint64_t sequence;   ///< the slot's sequence id
    std::uint64_t commit_ns;  ///< when the producer committed it (monotonic clock)
    std::uint64_t checksum;   ///< record_checksum() of the above and the payload
};
static_assert(sizeof(RecordHeader) == 32);

inline std::size_t padded(std::size_t bytes) { return (bytes + 7) / 8 * 8; }

/// XXH3-64 of the payload, seeded with the XXH3-64 of the header's first 24 bytes.
inline std::uint64_t record_checksum(const RecordHeader& header, const void* payload) {
    const XXH64_hash_t fields = XXH3_64bits(&header, offsetof(RecordHeader, checksum));
    return XXH3_64bits_withSeed(payload, header.payload_bytes, fields);
}

/// A clock record: RecordHeader{kClockMagic, 8, starts_run, monotonic_ns}
/// and the realtime ns as its 8-byte payload. `starts_run` (1 in the
/// sequence field) marks where a recorder started writing, so a recording
/// appended to after a crash holds several runs, each with its own sequence.
inline RecordHeader clock_record(const ClockPair& clock, bool starts_run) {
    RecordHeader header{kClockMagic, sizeof clock.realtime_ns, starts_run ? 1U : 0U, clock.monotonic_ns, 0};
    header.checksum = record_checksum(header, &clock.realtime_ns);
    return header;
}

/// What FileHeader::header_checksum holds: every field before it is covered.
inline std::uint64_t header_checksum(const FileHeader& header) { return XXH3_64bits(&header, offsetof(FileHeader, header_checksum)); }

inline std::uint64_t json_checksum(const char* json, std::size_t bytes) { return XXH3_64bits(json, bytes); }

}  // namespace pylabhub::recording
