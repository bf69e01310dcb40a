// A nats transport message as a receiver meets it (any bytes from the
// subject): the envelope (plugins/transport/common/envelope.hpp), then,
// when it holds a DATA message, the batch inside it (all slots inline).
// Every frame it accepts must lie inside the payload, in order, and add up.
#include <cstring>
#include <vector>

#include "common/envelope.hpp"
#include "common/wire.hpp"
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const plh_transport::Frame payload(reinterpret_cast<const std::byte*>(data), size);
    auto frames = plh_transport::open_envelope(payload);
    if (!frames) return 0;
    std::size_t total = 0;
    const std::byte* end = payload.data() + payload.size();
    for (const auto& frame : *frames) {
        PLH_FUZZ_CHECK(frame.empty() || (frame.data() >= payload.data() && frame.data() + frame.size() <= end));
        total += frame.size();
    }
    PLH_FUZZ_CHECK(total + 8 + frames->size() * 8 == size);
    plh_transport::Header header;
    if (!plh_transport::header_problem((*frames)[0].data(), (*frames)[0].size(), header).empty()) return 0;
    if (static_cast<plh_transport::Type>(header.type) != plh_transport::Type::data || frames->size() != 3) return 0;
    auto batch = plh_transport::read_struct<plh_transport::Batch>((*frames)[1].data(), (*frames)[1].size());
    if (!batch) return 0;
    const auto& packed = (*frames)[2];
    auto views = plh_transport::parse_batch(packed.data(), packed.size(), {}, batch->slots);
    if (!views) return 0;
    PLH_FUZZ_CHECK(views->size() == batch->slots);
    for (const auto& view : *views) {
        PLH_FUZZ_CHECK(view.meta.chunks == 0);
        PLH_FUZZ_CHECK(view.inline_offset <= packed.size() && view.meta.bytes <= packed.size() - view.inline_offset);
        volatile std::byte sink{};
        for (std::size_t i = 0; i < view.meta.bytes; ++i) sink = packed[view.inline_offset + i];  // ASan checks the range
        (void)sink;
    }
    return 0;
}
