/* A one-descriptor sync-kind plugin in plain C, parameterised by macros, for
 * the loader's error-path tests: define MINIMAL_ID, MINIMAL_ABI_MAJOR and
 * MINIMAL_ABI_MINOR, then include this file. */
#include <pylabhub/plugin_abi.h>

static const plh_sync_vtable minimal_vtable = {sizeof(plh_sync_vtable), 1, 0, 0};
static const plh_plugin_descriptor minimal_descriptor = {
    sizeof(plh_plugin_descriptor), PLH_KIND_SYNC, MINIMAL_ID, "0.0.1", "test plugin", NULL, 0, NULL, NULL, NULL, &minimal_vtable};

static int32_t minimal_init(void) { return 0; }
static void minimal_deinit(void) {}
static uint32_t minimal_count(void) { return 1; }
static const plh_plugin_descriptor* minimal_descriptor_at(uint32_t index) { return index == 0 ? &minimal_descriptor : NULL; }

static const plh_entry minimal_entry = {sizeof(plh_entry), MINIMAL_ABI_MAJOR, MINIMAL_ABI_MINOR,    minimal_init,
                                        minimal_deinit,    minimal_count,     minimal_descriptor_at};

PLH_EXPORT const plh_entry* plh_plugin_entry(void) { return &minimal_entry; }
