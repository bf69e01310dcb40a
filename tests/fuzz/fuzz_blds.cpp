// The BLDS parser, and payload decoding with what it accepted: the first
// line is the layout string, the rest a payload.
#include <string_view>

#include "fuzz_target.hpp"
#include "pylabhub/schema/blds.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::size_t newline = text.find('\n');
    const std::string_view blds = text.substr(0, newline);
    auto parsed = pylabhub::schema::parse_blds(blds);
    if (!parsed || newline == std::string_view::npos) return 0;
    PLH_FUZZ_CHECK(parsed->struct_size <= (std::size_t{1} << 30));  // a slot is at most 1 GiB
    const auto payload = std::as_bytes(std::span(data + newline + 1, size - newline - 1));
    if (parsed->struct_size > (1U << 20)) return 0;  // decoding a huge struct is slow, not wrong
    (void)pylabhub::schema::format_payload(blds, payload);
    (void)pylabhub::schema::payload_fields(blds, payload);
    return 0;
}
