// The host's version and the commit it was built from.
#pragma once

namespace pylabhub::host {

const char* version();
const char* commit();

}  // namespace pylabhub::host
