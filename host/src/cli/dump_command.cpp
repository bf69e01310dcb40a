#include "cli/dump_command.hpp"

#include <deque>
#include <ostream>

#include <nlohmann/json.hpp>

#include "pylabhub/schema/blds.hpp"
#include "recording/recording_file.hpp"

namespace pylabhub::host {
namespace {

struct DecodedRecord {
    std::uint64_t sequence = 0;
    std::uint64_t commit_ns = 0;
    std::optional<std::int64_t> unix_ns;
    std::vector<schema::PayloadField> fields;
};

std::string csv_cell(const schema::PayloadField& field) {
    if (!field.is_text) return field.value;
    std::string quoted = "\"";
    for (const char c : field.value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

/// A number stays a number in JSON; anything that does not parse as one is a string.
nlohmann::json json_value(const schema::PayloadField& field) {
    if (field.is_text) return field.value;
    if (field.value == "true" || field.value == "false") return field.value == "true";
    nlohmann::json number = nlohmann::json::parse(field.value, nullptr, false);
    if (number.is_number()) return number;
    return field.value;  // nan, inf
}

class Printer {
public:
    Printer(DumpFormat format, std::ostream& out) : format_(format), out_(out) {}

    void print(const DecodedRecord& r) {
        const std::string utc = r.unix_ns ? utc_text(*r.unix_ns) : "";
        if (format_ == DumpFormat::csv) {
            if (!header_written_) {
                out_ << "sequence,commit_ns,time_utc";
                for (const auto& f : r.fields) out_ << "," << f.name;
                out_ << "\n";
                header_written_ = true;
            }
            out_ << r.sequence << "," << r.commit_ns << "," << utc;
            for (const auto& f : r.fields) out_ << "," << csv_cell(f);
            out_ << "\n";
        } else if (format_ == DumpFormat::json) {
            nlohmann::json fields = nlohmann::json::object();
            for (const auto& f : r.fields) fields[f.name] = json_value(f);
            nlohmann::json line = {{"sequence", r.sequence}, {"commit_ns", r.commit_ns}, {"fields", fields}};
            if (r.unix_ns) line["time_utc"] = utc;
            out_ << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";  // one record a line
        } else {
            out_ << "#" << r.sequence << " " << (utc.empty() ? std::to_string(r.commit_ns) + " ns" : utc);
            for (const auto& f : r.fields) out_ << " " << f.name << "=" << (f.is_text ? "\"" + terminal_safe(f.value) + "\"" : f.value);
            out_ << "\n";
        }
    }

private:
    DumpFormat format_;
    std::ostream& out_;
    bool header_written_ = false;
};

}  // namespace

int dump_command(const DumpRequest& request, std::ostream& out, std::ostream& err) {
    auto opened = open_recording(request.file);
    if (!opened) {
        err << "error: " << terminal_safe(opened.error().message) << "\n";
        return 1;
    }
    const RecordingDescription& d = opened->description;
    if (d.schema_blds.empty()) {
        err << "error: " << terminal_safe(request.file) << ": the recording carries no schema (its producer declared none), "
            << "so its payloads cannot be decoded field by field\n";
        return 1;
    }
    if (auto parsed = schema::parse_blds(d.schema_blds); !parsed) {
        err << "error: " << terminal_safe(request.file) << ": its schema does not parse: " << parsed.error().message << "\n";
        return 1;
    }
    Printer printer(request.format, out);
    std::deque<DecodedRecord> last;  // --tail keeps only these
    std::uint64_t printed = 0;
    recording::Record record;
    for (;;) {
        std::string why;
        const recording::ReadStatus status = opened->reader.next(record, why);
        if (status == recording::ReadStatus::end) break;
        if (status == recording::ReadStatus::torn) {
            err << "note: " << why << "; the records before it are shown\n";
            break;
        }
        if (status == recording::ReadStatus::corrupt) {
            err << "warning: " << why << (why.find("from here on") != std::string::npos ? "" : "; skipped") << "\n";
            if (why.find("from here on") != std::string::npos) break;
            continue;
        }
        DecodedRecord decoded{record.header.sequence, record.header.commit_ns, opened->reader.to_unix_ns(record.header.commit_ns), {}};
        auto fields = schema::payload_fields(d.schema_blds, std::span(record.payload.data(), record.header.payload_bytes));
        if (!fields) {
            err << "warning: record " << decoded.sequence << ": " << fields.error().message << "; skipped\n";
            continue;
        }
        decoded.fields = std::move(fields).value();
        if (request.tail > 0) {
            last.push_back(std::move(decoded));
            if (last.size() > request.tail) last.pop_front();
            continue;
        }
        printer.print(decoded);
        if (request.head > 0 && ++printed >= request.head) break;
    }
    for (const auto& r : last) printer.print(r);
    return 0;
}

}  // namespace pylabhub::host
