/* Two libraries with one plugin id: the first loaded wins, the second is reported. */
#define MINIMAL_ID "dup"
#define MINIMAL_ABI_MAJOR PLH_ABI_MAJOR
#define MINIMAL_ABI_MINOR PLH_ABI_MINOR
#include "minimal_plugin.h"
