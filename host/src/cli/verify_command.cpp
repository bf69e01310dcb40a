#include "cli/verify_command.hpp"

#include <cstring>
#include <filesystem>
#include <ostream>
#include <vector>

#include "recording/recording_file.hpp"

namespace pylabhub::host {

int verify_command(const std::string& file, bool repair, std::ostream& out, std::ostream& err) {
    auto opened = open_recording(file);
    if (!opened) {
        err << "error: " << terminal_safe(opened.error().message) << "\n";
        return verify_failed;
    }
    recording::Reader& reader = opened->reader;
    const RecordingDescription& d = opened->description;
    const bool gaps_expected = !d.lossless;

    std::uint64_t records = 0, bytes = 0, corrupt = 0, gaps = 0, missing = 0, out_of_order = 0, runs = 0;
    std::uint64_t missing_at_restarts = 0;  // ids skipped where a run starts: lost with the crash, or never sent
    std::uint64_t first_sequence = 0, last_sequence = 0, first_ns = 0, last_ns = 0;
    std::optional<std::int64_t> first_utc, last_utc;
    std::string torn;
    std::vector<std::string> problems;
    recording::Record record;
    for (;;) {
        std::string why;
        const recording::ReadStatus status = reader.next(record, why);
        if (status == recording::ReadStatus::end) break;
        if (status == recording::ReadStatus::torn) {
            torn = why;
            break;
        }
        if (status == recording::ReadStatus::corrupt) {
            ++corrupt;
            if (corrupt <= 10) problems.push_back(why);
            if (why.find("from here on") != std::string::npos) break;
            continue;
        }
        const recording::RecordHeader& h = record.header;
        if (records == 0) {
            first_sequence = h.sequence;
            first_ns = h.commit_ns;
            first_utc = reader.to_unix_ns(h.commit_ns);
            runs = 1;
        } else if (record.starts_run) {
            ++runs;  // a recorder appended after a restart: its channel's sequence may start anew
            if (h.sequence > last_sequence + 1) missing_at_restarts += h.sequence - last_sequence - 1;
        } else if (h.sequence > last_sequence + 1) {
            ++gaps;
            missing += h.sequence - last_sequence - 1;
            if (!gaps_expected && gaps <= 10) {
                problems.push_back("gap: sequences " + std::to_string(last_sequence + 1) + ".." + std::to_string(h.sequence - 1) +
                                   " are missing");
            }
        } else if (h.sequence <= last_sequence) {
            ++out_of_order;
            if (out_of_order <= 10) {
                problems.push_back("sequence " + std::to_string(h.sequence) + " after " + std::to_string(last_sequence) +
                                   ": repeated or out of order");
            }
        }
        last_sequence = h.sequence;
        last_ns = h.commit_ns;
        last_utc = reader.to_unix_ns(h.commit_ns);
        ++records;
        bytes += h.payload_bytes;
    }

    out << terminal_safe(file) << "\n";
    out << "  channel   " << terminal_safe(d.channel) << " (" << terminal_safe(d.sync) << ")\n";
    out << "  schema    " << terminal_safe(d.schema_name) << " " << terminal_safe(d.schema_version) << " " << terminal_safe(d.schema_blds)
        << "\n";
    out << "  records   " << records << " (" << bytes << " payload bytes)";
    if (records > 0) out << ", sequences " << first_sequence << ".." << last_sequence;
    if (runs > 1) out << ", in " << runs << " runs (appended after restarts)";
    out << "\n";
    if (records > 1 && last_ns > first_ns) {
        const double seconds = double(last_ns - first_ns) * 1e-9;
        out << "  span      " << seconds << " s, " << double(records - 1) / seconds << " records/s\n";
    }
    if (first_utc && last_utc) out << "  time      " << utc_text(*first_utc) << " .. " << utc_text(*last_utc) << "\n";
    else if (records > 0) out << "  time      no clock records (format version 1): commit times are monotonic only\n";
    out << "  corrupt   " << corrupt << "\n";
    out << "  gaps      " << gaps << " (" << missing << " slots missing)"
        << (gaps_expected ? (d.sync == "latest_only" ? ", expected on latest_only" : ", expected: recorded by a read policy") : "") << "\n";
    if (runs > 1) {
        out << "  restarts  " << runs - 1 << " (" << missing_at_restarts << " slots not recorded across them"
            << (missing_at_restarts > 0 ? ": what the stopped recorder or host held" : "") << ")\n";
    }
    if (out_of_order > 0) out << "  disorder  " << out_of_order << "\n";
    for (const auto& problem : problems) err << "error: " << problem << "\n";

    const bool bad = corrupt > 0 || out_of_order > 0 || (!gaps_expected && gaps > 0);
    if (torn.empty()) {
        out << (bad ? "FAILED" : "OK") << "\n";
        return bad ? verify_failed : verify_ok;
    }
    const std::uint64_t cut = reader.file_bytes() - reader.intact_bytes();
    err << (bad ? "error: " : "torn: ") << torn << "; the " << records << " records before it are intact\n";
    if (bad) {
        out << "FAILED\n";
        return verify_failed;
    }
    if (!repair) {
        out << "TORN: a crash cut the last record short (" << cut << " bytes); 'pylabhub verify --repair " << terminal_safe(file)
            << "' removes them\n";
        return verify_torn;
    }
    std::error_code error;
    std::filesystem::resize_file(file, reader.intact_bytes(), error);
    if (error) {
        err << "error: " << terminal_safe(file) << ": cannot cut the torn record: " << error.message() << "\n";
        return verify_failed;
    }
    out << "repaired: removed the torn last record (" << cut << " bytes); " << records << " records remain\nOK\n";
    return verify_ok;
}

}  // namespace pylabhub::host
