#include "cli/verify_command.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "pylabhub/recording/format.hpp"

namespace pylabhub::host {

int verify_command(const std::string& file, std::ostream& out, std::ostream& err) {
    namespace rec = recording;
    // A FIFO or a device would block the read below (or never end).
    std::error_code status_error;
    const auto status = std::filesystem::status(file, status_error);
    if (!status_error && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
        err << "error: " << file << ": not a regular file (a recording is a file the recorder wrote)\n";
        return 1;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        err << "error: " << file << ": cannot open: " << std::strerror(errno) << "\n";
        return 1;
    }
    rec::FileHeader header{};
    if (!in.read(reinterpret_cast<char*>(&header), sizeof header) ||
        std::memcmp(header.magic, rec::kFileMagic, sizeof header.magic) != 0) {
        err << "error: " << file << ": not a pyLabHub recording (no PLHREC01 header)\n";
        return 1;
    }
    if (header.version != rec::kFormatVersion) {
        err << "error: " << file << ": recording format version " << header.version << "; this pylabhub reads version "
            << rec::kFormatVersion << "\n";
        return 1;
    }
    std::string json(header.json_bytes, '\0');
    if (!in.read(json.data(), static_cast<std::streamsize>(json.size())) ||
        rec::json_checksum(json.data(), json.size()) != header.json_checksum) {
        err << "error: " << file << ": the header description is truncated or corrupt\n";
        return 1;
    }
    nlohmann::json description;
    try {
        description = nlohmann::json::parse(json);
    } catch (const std::exception& e) {
        err << "error: " << file << ": header description: " << e.what() << "\n";
        return 1;
    }
    const std::string sync = description.value("sync", "");
    const bool gaps_expected = sync == "latest_only";

    std::uint64_t records = 0, bytes = 0, corrupt = 0, gaps = 0, missing = 0, out_of_order = 0;
    std::uint64_t first_sequence = 0, last_sequence = 0, first_ns = 0, last_ns = 0;
    std::vector<std::byte> payload;
    std::string truncated;
    std::vector<std::string> problems;
    for (;;) {
        const std::streamoff offset = in.tellg();
        rec::RecordHeader record{};
        in.read(reinterpret_cast<char*>(&record), sizeof record);
        if (in.gcount() == 0) break;  // clean end
        if (in.gcount() != sizeof record) {
            truncated = "the last record is cut off at byte " + std::to_string(offset) + " (a crash or a full disk?)";
            break;
        }
        if (record.magic != rec::kRecordMagic) {
            problems.push_back("record " + std::to_string(records + 1) + " at byte " + std::to_string(offset) +
                               " has no record marker: the file is corrupt from here on");
            ++corrupt;
            break;
        }
        payload.resize(rec::padded(record.payload_bytes));
        in.read(reinterpret_cast<char*>(payload.data()), static_cast<std::streamsize>(payload.size()));
        if (static_cast<std::size_t>(in.gcount()) != payload.size()) {
            truncated = "the payload of the last record (sequence " + std::to_string(record.sequence) + ") is cut off";
            break;
        }
        if (rec::record_checksum(record, payload.data()) != record.checksum) {
            ++corrupt;
            if (corrupt <= 10) problems.push_back("record with sequence " + std::to_string(record.sequence) + " at byte " +
                                                  std::to_string(offset) + " fails its checksum");
        }
        if (records == 0) {
            first_sequence = record.sequence;
            first_ns = record.commit_ns;
        } else if (record.sequence > last_sequence + 1) {
            ++gaps;
            missing += record.sequence - last_sequence - 1;
            if (!gaps_expected && gaps <= 10) {
                problems.push_back("gap: sequences " + std::to_string(last_sequence + 1) + ".." +
                                   std::to_string(record.sequence - 1) + " are missing");
            }
        } else if (record.sequence <= last_sequence) {
            ++out_of_order;
            if (out_of_order <= 10) problems.push_back("sequence " + std::to_string(record.sequence) + " after " +
                                                       std::to_string(last_sequence) + ": repeated or out of order");
        }
        last_sequence = record.sequence;
        last_ns = record.commit_ns;
        ++records;
        bytes += record.payload_bytes;
    }

    const auto schema = description.value("schema", nlohmann::json::object());
    out << file << "\n";
    out << "  channel   " << description.value("channel", "?") << " (" << sync << ")\n";
    out << "  schema    " << schema.value("name", "") << " " << schema.value("version", "") << " "
        << schema.value("blds", "") << "\n";
    out << "  records   " << records << " (" << bytes << " payload bytes)";
    if (records > 0) out << ", sequences " << first_sequence << ".." << last_sequence;
    out << "\n";
    if (records > 1 && last_ns > first_ns) {
        const double seconds = double(last_ns - first_ns) * 1e-9;
        out << "  span      " << seconds << " s, " << double(records - 1) / seconds << " records/s\n";
    }
    out << "  corrupt   " << corrupt << "\n";
    out << "  gaps      " << gaps << " (" << missing << " slots missing)" << (gaps_expected ? ", expected on latest_only" : "") << "\n";
    if (out_of_order > 0) out << "  disorder  " << out_of_order << "\n";
    for (const auto& problem : problems) err << "error: " << problem << "\n";
    if (!truncated.empty()) err << "error: " << truncated << "; the " << records << " records before it are intact\n";
    const bool bad = corrupt > 0 || out_of_order > 0 || !truncated.empty() || (!gaps_expected && gaps > 0);
    out << (bad ? "FAILED" : "OK") << "\n";
    return bad ? 1 : 0;
}

} // namespace pylabhub::host
