// The broker's request handler: any bytes in, one valid JSON reply out.
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_target.hpp"
#include "pylabhub/messagehub/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static pylabhub::messagehub::Registry registry{pylabhub::messagehub::RegistryOptions{
        10'000, "fuzzhost", [](std::uint64_t pid) { return pid % 2 == 0; }, [] { return std::uint64_t{1'000'000}; }}};
    const std::string reply = registry.handle(std::string(reinterpret_cast<const char*>(data), size));
    const auto parsed = nlohmann::json::parse(reply, nullptr, false);
    PLH_FUZZ_CHECK(!parsed.is_discarded() && parsed.is_object() && parsed.contains("status"));
    return 0;
}
