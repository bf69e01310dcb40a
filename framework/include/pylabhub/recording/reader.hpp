// Reading a recording (docs/recording-format.md) record by record: shared by
// `pylabhub verify`, `pylabhub dump` and the recorder when it appends to a
// recording a crash cut short. Header-only, like format.hpp, because the
// recorder plugin sees only headers.
//
// It tells a torn last record (a crash: everything before it is intact)
// from corruption (a record that is whole but wrong), and never allocates
// more than a record can hold.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/stat.h>

#include "pylabhub/recording/format.hpp"

namespace pylabhub::recording {

enum class ReadStatus {
    record,   ///< a whole, valid data record
    end,      ///< the file ends after the last whole record
    torn,     ///< the last record is cut off (a crash or a full disk); the prefix is intact
    corrupt,  ///< a whole record fails its marker or checksum, or claims an impossible size
};

struct Record {
    RecordHeader header{};
    std::vector<std::byte> payload;  ///< padded to 8 bytes; header.payload_bytes of it are data
    std::uint64_t offset = 0;        ///< where the record starts in the file
    bool starts_run = false;         ///< the first record a (re)started recorder wrote: its sequence starts anew
};

class Reader {
public:
    /// Opens `path` and checks the file header and the description's
    /// checksum; nullopt with `error` set when it is not a readable recording.
    static std::optional<Reader> open(const std::string& path, std::string& error) {
        struct stat info {};
        if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
            error = "not a regular file (a recording is a file the recorder wrote)";
            return std::nullopt;
        }
        std::FILE* file = std::fopen(path.c_str(), "rb");
        if (file == nullptr) {
            error = std::string("cannot open: ") + std::strerror(errno);
            return std::nullopt;
        }
        Reader reader(file);
        if (std::fread(&reader.header_, sizeof reader.header_, 1, file) != 1 ||
            std::memcmp(reader.header_.magic, kFileMagic, sizeof reader.header_.magic) != 0) {
            error = "not a pyLabHub recording (no PLHREC01 header)";
            return std::nullopt;
        }
        if (reader.header_.version < 1 || reader.header_.version > kFormatVersion) {
            error = "recording format version " + std::to_string(reader.header_.version) + "; this pylabhub reads versions 1 to " +
                std::to_string(kFormatVersion);
            return std::nullopt;
        }
        const FileHeader& h = reader.header_;
        const bool reserved_zero = std::all_of(std::begin(h.reserved), std::end(h.reserved), [](std::uint8_t b) { return b == 0; });
        if (!reserved_zero || (h.version >= 2 && h.header_checksum != header_checksum(h)) || (h.version == 1 && h.header_checksum != 0)) {
            error = "the file header is corrupt (its checksum fails or its reserved bytes are not zero)";
            return std::nullopt;
        }
        reader.file_bytes_ = static_cast<std::uint64_t>(info.st_size);
        if (reader.header_.json_bytes > kMaxDescriptionBytes ||
            sizeof(FileHeader) + std::uint64_t{reader.header_.json_bytes} > reader.file_bytes_) {
            error = "the header description is truncated or corrupt";
            return std::nullopt;
        }
        reader.description_.resize(reader.header_.json_bytes);
        if (std::fread(reader.description_.data(), 1, reader.description_.size(), file) != reader.description_.size() ||
            json_checksum(reader.description_.data(), reader.description_.size()) != reader.header_.json_checksum) {
            error = "the header description is truncated or corrupt";
            return std::nullopt;
        }
        reader.offset_ = reader.intact_bytes_ = sizeof(FileHeader) + reader.header_.json_bytes;
        return reader;
    }

    Reader(Reader&& other) noexcept
        : file_(std::exchange(other.file_, nullptr)),
          header_(other.header_),
          description_(std::move(other.description_)),
          file_bytes_(other.file_bytes_),
          offset_(other.offset_),
          intact_bytes_(other.intact_bytes_),
          max_payload_(other.max_payload_),
          clocks_(std::move(other.clocks_)),
          run_started_(other.run_started_) {}
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    Reader& operator=(Reader&&) = delete;
    ~Reader() {
        if (file_ != nullptr) std::fclose(file_);
    }

    const FileHeader& header() const { return header_; }
    /// The description JSON (its checksum verified; its content is the caller's to check).
    const std::string& description() const { return description_; }

    /// A record can hold at most a slot: a larger length field is corruption,
    /// not a record to allocate. Set from the description's slot_bytes.
    void set_max_payload(std::uint64_t bytes) { max_payload_ = bytes; }

    /// The next data record; clock records are taken in on the way (clocks()).
    /// After torn or corrupt, `why` says what and where, and reading stops.
    ReadStatus next(Record& out, std::string& why) {
        for (;;) {
            const std::uint64_t left = file_bytes_ - offset_;
            if (left == 0) return ReadStatus::end;
            out.offset = offset_;
            if (left < sizeof(RecordHeader) || std::fread(&out.header, sizeof out.header, 1, file_) != 1) {
                why = "the last record is cut off at byte " + std::to_string(offset_) + " (a crash or a full disk?)";
                return ReadStatus::torn;
            }
            const RecordHeader& h = out.header;
            const bool clock = h.magic == kClockMagic;
            if (h.magic != kRecordMagic && !clock) {
                why = "the record at byte " + std::to_string(offset_) + " has no record marker: the file is corrupt from here on";
                return ReadStatus::corrupt;
            }
            if ((clock && h.payload_bytes != sizeof(std::uint64_t)) || (!clock && h.payload_bytes > max_payload_)) {
                why = "the record at byte " + std::to_string(offset_) + " claims " + std::to_string(h.payload_bytes) +
                    " payload bytes, more than a slot holds: the file is corrupt from here on";
                return ReadStatus::corrupt;
            }
            const std::size_t stored = padded(h.payload_bytes);
            if (stored > left - sizeof(RecordHeader)) {
                why = "the payload of the last record (sequence " + std::to_string(h.sequence) + ") is cut off at byte " +
                    std::to_string(offset_) + " (a crash or a full disk?)";
                return ReadStatus::torn;
            }
            out.payload.resize(stored);
            if (std::fread(out.payload.data(), 1, stored, file_) != stored) {
                why = "reading at byte " + std::to_string(offset_) + ": " + std::strerror(errno);
                return ReadStatus::torn;
            }
            if (record_checksum(h, out.payload.data()) != h.checksum) {
                why = (clock ? "the clock record at byte " : "record with sequence " + std::to_string(h.sequence) + " at byte ") +
                    std::to_string(offset_) + " fails its checksum";
                offset_ += sizeof(RecordHeader) + stored;  // whole: reading goes on after it
                return ReadStatus::corrupt;
            }
            offset_ += sizeof(RecordHeader) + stored;
            intact_bytes_ = offset_;
            if (!clock) {
                out.starts_run = std::exchange(run_started_, false);
                return ReadStatus::record;
            }
            if (h.sequence == 1) run_started_ = true;
            std::uint64_t realtime_ns = 0;
            std::memcpy(&realtime_ns, out.payload.data(), sizeof realtime_ns);
            clocks_.push_back({h.commit_ns, realtime_ns});
        }
    }

    /// Where the last whole, valid record ends: what a torn file is cut to.
    std::uint64_t intact_bytes() const { return intact_bytes_; }
    std::uint64_t file_bytes() const { return file_bytes_; }

    /// The (monotonic, realtime) pairs read so far, in file order.
    const std::vector<ClockPair>& clocks() const { return clocks_; }

    /// A commit time (monotonic ns) as Unix time (ns), by the latest clock
    /// pair read so far; nullopt before any (a version-1 recording).
    std::optional<std::int64_t> to_unix_ns(std::uint64_t monotonic_ns) const {
        if (clocks_.empty()) return std::nullopt;
        const ClockPair& c = clocks_.back();
        return static_cast<std::int64_t>(c.realtime_ns) +
            (static_cast<std::int64_t>(monotonic_ns) - static_cast<std::int64_t>(c.monotonic_ns));
    }

private:
    explicit Reader(std::FILE* file) : file_(file) {}

    static constexpr std::uint32_t kMaxDescriptionBytes = 1 << 20;

    std::FILE* file_ = nullptr;
    FileHeader header_{};
    std::string description_;
    std::uint64_t file_bytes_ = 0;
    std::uint64_t offset_ = 0;
    std::uint64_t intact_bytes_ = 0;
    std::uint64_t max_payload_ = std::uint64_t{1} << 30;  // a slot is at most 1 GiB
    std::vector<ClockPair> clocks_;
    bool run_started_ = false;
};

}  // namespace pylabhub::recording
