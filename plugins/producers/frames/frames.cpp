// frames: synthetic camera frames, width x height u16 pixels at fps.
//
// mode: pull (the host asks for each frame: wait_next/fill) or callback (a
// thread of the plugin delivers frames with host().write_slot, as camera and
// DAQ SDKs call back from their own threads).
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <pylabhub/sdk/pacer.hpp>
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class Frames final : public sdk::Producer {
public:
    static constexpr sdk::PluginInfo info{"frames", "1.0.0", "synthetic camera frames: width x height u16 at fps"};
    static constexpr plh_config_entry config[] = {
        sdk::integer("width", "640", "pixels per row", 1, 16384),
        sdk::integer("height", "480", "rows", 1, 16384),
        sdk::real("fps", "30", "frames per second", 0.001, 100000),
        sdk::string("mode", "pull", "pull: the host asks for each frame; callback: a device thread of the plugin delivers them"),
    };

    explicit Frames(sdk::Host host)
        : Producer(host),
          width_(static_cast<std::uint32_t>(host.config_int("width"))),
          height_(static_cast<std::uint32_t>(host.config_int("height"))),
          pacer_(host, host.config_float("fps")) {
        const std::string mode = host.config_string("mode");
        if (mode != "pull" && mode != "callback") throw sdk::ConfigError("mode: '" + mode + "' is not one of pull, callback");
        callback_ = mode == "callback";
        const std::uint64_t pixels = std::uint64_t{width_} * height_;
        bytes_ = (24 + 2 * pixels + 7) / 8 * 8;
        host.declare_schema(
            "pylabhub.frame", "1.0.0",
            "{seq@0:u64;t_ns@8:u64;width@16:u32;height@20:u32;pixels@24:u16[" + std::to_string(pixels) + "]}#" + std::to_string(bytes_));
    }

    /// Like a camera SDK's "stop acquisition": the device thread ends here,
    /// and not before. Until then it may call write_slot even after the
    /// host closed the channel; the host refuses those writes (PLH_END).
    ~Frames() override {
        device_stop_ = true;
        if (device_.joinable()) device_.join();
    }

    WaitResult wait_next(std::chrono::nanoseconds timeout) override {
        if (!callback_) return pacer_.wait(timeout);
        // The channel exists once the host asks for data: start the device now.
        if (!device_.joinable()) device_ = std::thread([this] { deliver(); });
        std::this_thread::sleep_for(timeout);
        return WaitResult::not_yet;
    }

    std::size_t fill(std::span<std::byte> slot) override { return render(slot); }

private:
    void deliver() {
        std::vector<std::byte> frame(bytes_);
        while (!device_stop_) {
            if (pacer_.wait(std::chrono::milliseconds(50)) != WaitResult::ready) continue;
            render(frame);
            const plh_status status = host().write_slot(frame, std::chrono::milliseconds(100));
            // PLH_END: the channel closed; a real device is stopped by the destructor soon.
            host().metric(status == PLH_OK ? "delivered" : status == PLH_END ? "refused_after_close" : "not_delivered");
        }
    }

    std::size_t render(std::span<std::byte> slot) {
        if (slot.size() < bytes_) {
            throw sdk::PluginError(
                PLH_ERR_CONFIG,
                std::to_string(width_) + "x" + std::to_string(height_) + " frames need slot_bytes of at least " + std::to_string(bytes_));
        }
        const std::uint64_t t_ns = pacer_.due_since_start_ns();
        std::memcpy(slot.data(), &sequence_, 8);
        std::memcpy(slot.data() + 8, &t_ns, 8);
        std::memcpy(slot.data() + 16, &width_, 4);
        std::memcpy(slot.data() + 20, &height_, 4);
        // A diagonal gradient that moves one pixel a frame: easy to see, cheap to make.
        auto* pixels = reinterpret_cast<std::uint16_t*>(slot.data() + 24);
        for (std::uint32_t y = 0; y < height_; ++y) {
            const auto base = static_cast<std::uint16_t>((y + sequence_) * 64);
            for (std::uint32_t x = 0; x < width_; ++x) pixels[std::size_t{y} * width_ + x] = static_cast<std::uint16_t>(base + x * 64);
        }
        ++sequence_;
        pacer_.advance();
        return bytes_;
    }

    std::uint32_t width_;
    std::uint32_t height_;
    sdk::Pacer pacer_;
    std::uint64_t bytes_ = 0;
    std::uint64_t sequence_ = 0;
    bool callback_ = false;
    std::thread device_;
    std::atomic<bool> device_stop_{false};
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(Frames)
