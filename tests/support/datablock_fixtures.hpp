// Making a Producer or attaching a Consumer in a test, where failing to is
// the test's set-up failing (an exception gtest reports), not a result.
#pragma once

#include <stdexcept>
#include <string>

#include "pylabhub/datablock.hpp"

namespace pylabhub::test {

inline datablock::Producer make_producer_or_throw(const std::string& name, const datablock::DataBlockConfig& config,
                                                  datablock::ProducerOptions options = {}) {
    auto producer = datablock::Producer::create(name, config, std::move(options));
    if (!producer) throw std::runtime_error(producer.error().message);
    return std::move(producer).value();
}

/// Attaches with the producer's secret; `options.secret` is filled in.
inline datablock::Consumer attach_or_throw(const std::string& name, const datablock::Producer& producer,
                                           datablock::ConsumerOptions options = {}) {
    options.secret = producer.secret();
    auto consumer = datablock::Consumer::attach(name, std::move(options));
    if (!consumer) throw std::runtime_error(consumer.error().message);
    return std::move(consumer).value();
}

}  // namespace pylabhub::test
