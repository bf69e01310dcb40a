// Typed slot access: a slot seen as a T.
//
//   with_typed_write<Sample>(producer, 10ms, [&](Sample& s) { s.seq = n; });
//   auto mean = with_typed_read<Sample>(consumer, 10ms, [](const Sample& s) { return s.v[0]; });
//
// The write commits sizeof(T) bytes, or abandons the slot if fn throws (the
// exception then propagates). The read hands fn a whole T: in place under
// the lossless policies, where the writer cannot reuse the slot while we
// hold it, and as a validated copy under latest_only, where it can.
#pragma once

#include <chrono>
#include <cstring>
#include <type_traits>
#include <utility>

#include "pylabhub/datablock/consumer.hpp"
#include "pylabhub/datablock/producer.hpp"
#include "pylabhub/schema/schema_info.hpp"

namespace pylabhub::datablock {

namespace detail {

template <typename T>
concept SlotType = std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T> && alignof(T) <= 64;

template <typename T>
Result<void> check_fits(std::size_t slot_bytes, const std::optional<schema::SchemaInfo>& block_schema) {
    if (sizeof(T) > slot_bytes) {
        return make_error(
            ErrorCode::invalid_argument,
            "type of " + std::to_string(sizeof(T)) + " bytes does not fit a slot of " + std::to_string(slot_bytes) + " bytes");
    }
    if constexpr (schema::Registered<T>) {
        if (block_schema) return schema::check_compatible(schema::schema_of<T>(), *block_schema);
    }
    return {};
}

}  // namespace detail

template <typename T, typename Fn>
requires detail::SlotType<T> && std::is_invocable_v<Fn, T&> Result<void> with_typed_write(Producer& producer,
                                                                                          std::chrono::nanoseconds timeout, Fn&& fn) {
    if (auto fits = detail::check_fits<T>(producer.config().slot_bytes, producer.schema()); !fits) return fits;
    auto slot = producer.acquire_write(timeout);
    if (!slot) return std::move(slot).error();
    // Slots are cache-line aligned, and T's alignment is at most that.
    T* value = new (slot->buffer().data()) T{};
    std::forward<Fn>(fn)(*value);  // if it throws, the guard abandons the slot
    return slot->commit(sizeof(T));
}

template <typename T, typename Fn>
requires detail::SlotType<T> && std::is_invocable_v<Fn, const T&>
auto with_typed_read(Consumer& consumer, std::chrono::nanoseconds timeout, Fn&& fn)
    -> Result<std::conditional_t<std::is_void_v<std::invoke_result_t<Fn, const T&>>, void, std::invoke_result_t<Fn, const T&>>> {
    using R = std::invoke_result_t<Fn, const T&>;
    if (auto fits = detail::check_fits<T>(consumer.info().config.slot_bytes, consumer.info().schema); !fits) {
        return std::move(fits).error();
    }
    auto slot = consumer.acquire_read(timeout);
    if (!slot) return std::move(slot).error();
    if (slot->buffer().size() < sizeof(T)) {
        return make_error(ErrorCode::mismatch,
                          "slot " + std::to_string(slot->sequence()) + " holds " + std::to_string(slot->buffer().size()) +
                              " bytes, not a whole " + std::to_string(sizeof(T)) + "-byte value");
    }
    if (consumer.info().config.sync == SyncPolicy::latest_only) {
        T copy;
        if (auto whole = slot->copy_to(std::as_writable_bytes(std::span(&copy, 1))); !whole) {
            return std::move(whole).error();
        }
        if (auto released = slot->release(); !released) return std::move(released).error();
        if constexpr (std::is_void_v<R>) {
            std::forward<Fn>(fn)(copy);
            return {};
        } else {
            return std::forward<Fn>(fn)(copy);
        }
    } else {
        const T& in_place = *std::launder(reinterpret_cast<const T*>(slot->buffer().data()));
        if constexpr (std::is_void_v<R>) {
            std::forward<Fn>(fn)(in_place);
            if (auto released = slot->release(); !released) return std::move(released).error();
            return {};
        } else {
            R result = std::forward<Fn>(fn)(in_place);
            if (auto released = slot->release(); !released) return std::move(released).error();
            return result;
        }
    }
}

}  // namespace pylabhub::datablock
