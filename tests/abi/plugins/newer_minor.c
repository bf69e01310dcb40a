/* Declares a minor version newer than the host's: refused. */
#define MINIMAL_ID "newer-minor"
#define MINIMAL_ABI_MAJOR PLH_ABI_MAJOR
#define MINIMAL_ABI_MINOR (PLH_ABI_MINOR + 1)
#include "minimal_plugin.h"
