// The slot type both examples agree on, registered as a schema so the
// consumer is refused if the producer's layout ever differs.
#pragma once

#include <cstdint>

#include <pylabhub/schema/blds.hpp>

struct Sample {
    std::uint64_t seq;
    double t_seconds;
    float channels[8];
};
PYLABHUB_SCHEMA_BEGIN(Sample, "example.Sample", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(seq)
PYLABHUB_SCHEMA_MEMBER(t_seconds)
PYLABHUB_SCHEMA_MEMBER(channels)
PYLABHUB_SCHEMA_END(Sample)
