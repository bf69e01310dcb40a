// scan_recording: walks a recording once, every record's checksum verified,
// and says where each payload lies in the file; the Python layer maps the
// file and views the payloads as a numpy structured array.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "errors.hpp"
#include "recording/recording_file.hpp"

namespace pylabhub::python {

namespace py = pybind11;

namespace {

template <typename T>
py::array_t<T> to_array(const std::vector<T>& values) {
    py::array_t<T> out(static_cast<py::ssize_t>(values.size()));
    std::copy(values.begin(), values.end(), out.mutable_data());
    return out;
}

}  // namespace

void bind_recording(py::module_& module) {
    module.def(
        "scan_recording",
        [](const std::string& path) {
            std::vector<std::uint64_t> offsets, sequences, commit_ns, sizes;
            std::vector<std::int64_t> unix_ns;
            std::vector<std::uint8_t> starts_run;
            std::vector<std::pair<std::uint64_t, std::string>> corrupt;
            std::optional<Error> failed;
            std::optional<std::string> torn;
            std::string description;
            bool have_clock = false;
            std::uint64_t intact = 0;
            {
                py::gil_scoped_release unlocked;
                auto opened = host::open_recording(path);
                if (!opened) failed = opened.error();
                if (opened) description = opened->reader.description();
                recording::Record record;
                std::string why;
                for (bool more = opened.has_value(); more;) {
                    switch (opened->reader.next(record, why)) {
                    case recording::ReadStatus::record: {
                        offsets.push_back(record.offset + sizeof(recording::RecordHeader));
                        sequences.push_back(record.header.sequence);
                        commit_ns.push_back(record.header.commit_ns);
                        sizes.push_back(record.header.payload_bytes);
                        starts_run.push_back(record.starts_run ? 1 : 0);
                        auto unix_time = opened->reader.to_unix_ns(record.header.commit_ns);
                        have_clock = have_clock || unix_time.has_value();
                        unix_ns.push_back(unix_time.value_or(0));
                        break;
                    }
                    case recording::ReadStatus::end: more = false; break;
                    case recording::ReadStatus::torn:
                        torn = why;
                        more = false;
                        break;
                    case recording::ReadStatus::corrupt: {
                        corrupt.emplace_back(record.offset, why);
                        // A bad checksum on a whole record: reading goes on after it; no marker: it cannot.
                        more = record.header.magic == recording::kRecordMagic || record.header.magic == recording::kClockMagic;
                        break;
                    }
                    }
                }
                if (opened) intact = opened->reader.intact_bytes();
            }
            if (failed) raise(*failed);
            py::dict out;
            out["description"] = description;
            out["offsets"] = to_array(offsets);
            out["sequences"] = to_array(sequences);
            out["commit_ns"] = to_array(commit_ns);
            out["payload_bytes"] = to_array(sizes);
            out["starts_run"] = to_array(starts_run);
            out["unix_ns"] = have_clock ? py::object(to_array(unix_ns)) : py::object(py::none());
            out["torn"] = torn ? py::object(py::str(*torn)) : py::object(py::none());
            out["corrupt"] = corrupt;  // [(offset, why)]
            out["intact_bytes"] = intact;
            return out;
        },
        py::arg("path"), "Every data record of a recording, checksums verified: where its payload lies, its sequence and times.");
}

}  // namespace pylabhub::python
