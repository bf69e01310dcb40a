// The zmq transport's DATA decoder (plugins/transport/zmq/wire.hpp), as a
// receiver meets a peer's bytes: input = [slots u32][chunk count u8]
// [chunk sizes, u16 each][the packed frame...]. What it accepts must lie
// inside the frames it was given, and add up.
#include <cstring>
#include <vector>

#include "fuzz_target.hpp"
#include "wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 5) return 0;
    std::uint32_t slots = 0;
    std::memcpy(&slots, data, 4);
    const std::size_t chunks = data[4];
    std::size_t at = 5;
    std::vector<std::size_t> chunk_sizes;
    for (std::size_t c = 0; c < chunks && at + 2 <= size; ++c, at += 2) {
        std::uint16_t bytes = 0;
        std::memcpy(&bytes, data + at, 2);
        chunk_sizes.push_back(bytes);
    }
    const auto* packed = reinterpret_cast<const std::byte*>(data + at);
    const std::size_t packed_size = size - at;
    auto views = plh_zmq::parse_batch(packed, packed_size, chunk_sizes, slots);
    if (!views) return 0;
    PLH_FUZZ_CHECK(views->size() == slots);
    std::size_t next_chunk = 0;
    for (const auto& view : *views) {
        if (view.meta.chunks == 0) {
            PLH_FUZZ_CHECK(view.inline_offset <= packed_size && view.meta.bytes <= packed_size - view.inline_offset);
            volatile std::byte sink{};
            for (std::size_t i = 0; i < view.meta.bytes; ++i) sink = packed[view.inline_offset + i];  // ASan checks the range
            (void)sink;
        } else {
            PLH_FUZZ_CHECK(view.first_chunk == next_chunk);
            PLH_FUZZ_CHECK(view.first_chunk + view.meta.chunks <= chunk_sizes.size());
            std::uint64_t sum = 0;
            for (std::size_t c = 0; c < view.meta.chunks; ++c) sum += chunk_sizes[view.first_chunk + c];
            PLH_FUZZ_CHECK(sum == view.meta.bytes);
            next_chunk += view.meta.chunks;
        }
    }
    PLH_FUZZ_CHECK(next_chunk == chunk_sizes.size());
    return 0;
}
