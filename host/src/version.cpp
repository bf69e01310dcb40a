#include "version.hpp"

#ifndef PYLABHUB_VERSION
#define PYLABHUB_VERSION "unknown"
#endif
#ifndef PYLABHUB_COMMIT
#define PYLABHUB_COMMIT "unknown"
#endif

namespace pylabhub::host {

const char* version() { return PYLABHUB_VERSION; }
const char* commit() { return PYLABHUB_COMMIT; }

}  // namespace pylabhub::host
