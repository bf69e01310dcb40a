// Everything a DataBlock user needs: Producer, Consumer, guards, typed access.
#pragma once

#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/datablock/config.hpp"
#include "pylabhub/datablock/consumer.hpp"
#include "pylabhub/datablock/metrics.hpp"
#include "pylabhub/datablock/producer.hpp"
#include "pylabhub/datablock/transaction.hpp"
#include "pylabhub/datablock/typed.hpp"
