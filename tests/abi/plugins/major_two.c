/* Declares ABI 2.0: the host must refuse it, naming both versions. */
#define MINIMAL_ID "major-two"
#define MINIMAL_ABI_MAJOR 2
#define MINIMAL_ABI_MINOR 0
#include "minimal_plugin.h"
