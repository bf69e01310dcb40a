// What `pylabhub verify` and `dump` read: any bytes as a recording file.
#include <cstdio>
#include <string>

#include <unistd.h>

#include "fuzz_target.hpp"
#include "recording/recording_file.hpp"
#include "pylabhub/schema/blds.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = "/tmp/plh-fuzz-recording-" + std::to_string(::getpid());
    if (std::FILE* file = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, file);
        std::fclose(file);
    }
    auto opened = pylabhub::host::open_recording(path);
    if (!opened) return 0;
    pylabhub::recording::Record record;
    std::string why;
    for (int i = 0; i < 100'000; ++i) {
        const auto status = opened->reader.next(record, why);
        if (status == pylabhub::recording::ReadStatus::end || status == pylabhub::recording::ReadStatus::torn) break;
        if (status == pylabhub::recording::ReadStatus::corrupt && why.find("from here on") != std::string::npos) break;
        if (status != pylabhub::recording::ReadStatus::record) continue;
        PLH_FUZZ_CHECK(record.header.payload_bytes <= opened->description.slot_bytes);
        (void)opened->reader.to_unix_ns(record.header.commit_ns);
        if (!opened->description.schema_blds.empty() && opened->description.schema_blds.size() < 4096) {
            (void)pylabhub::schema::payload_fields(opened->description.schema_blds,
                                                   std::span(record.payload.data(), record.header.payload_bytes));
        }
    }
    PLH_FUZZ_CHECK(opened->reader.intact_bytes() <= opened->reader.file_bytes());
    return 0;
}
