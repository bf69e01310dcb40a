/* Two read policies in plain C against the 1.1 header: "every-third" reads
 * sequences 0, 3, 6, ...; "reads-ahead" chooses a slot that is not committed
 * yet, which the host must refuse without reading it. */
#include <stdlib.h>

#include "pylabhub/plugin_abi.h"

typedef struct policy {
    int ahead;
} policy;

static plh_status create_third(const plh_host_api* host, plh_host_context* ctx, void** instance) {
    (void)host;
    (void)ctx;
    policy* p = (policy*)calloc(1, sizeof(policy));
    if (p == NULL) return PLH_ERR_INTERNAL;
    *instance = p;
    return PLH_OK;
}

static plh_status create_ahead(const plh_host_api* host, plh_host_context* ctx, void** instance) {
    plh_status status = create_third(host, ctx, instance);
    if (status == PLH_OK) ((policy*)*instance)->ahead = 1;
    return status;
}

static void destroy(void* instance) { free(instance); }

static plh_status select_next(void* instance, const plh_read_state* state, plh_read_choice* choice) {
    const policy* p = (const policy*)instance;
    choice->struct_size = sizeof(plh_read_choice);
    choice->wait_ns = 0;
    if (state->newest_sequence == UINT64_MAX) {
        choice->action = PLH_READ_WAIT;
        return PLH_OK;
    }
    if (p->ahead) {
        choice->action = PLH_READ_SLOT;
        choice->sequence = state->newest_sequence + 1;
        return PLH_OK;
    }
    uint64_t next = state->last_sequence == UINT64_MAX ? 0 : state->last_sequence + 3;
    if (next > state->newest_sequence) {
        choice->action = PLH_READ_WAIT;
        return PLH_OK;
    }
    choice->action = PLH_READ_SLOT;
    choice->sequence = next;
    return PLH_OK;
}

static const plh_sync_vtable table = {sizeof(plh_sync_vtable), 0, 0, 0, select_next};

static const plh_plugin_descriptor third = {sizeof(plh_plugin_descriptor),
                                            PLH_KIND_SYNC,
                                            "every-third",
                                            "0.1.0",
                                            "sequences 0, 3, 6, ... (a read policy in C)",
                                            NULL,
                                            0,
                                            NULL,
                                            create_third,
                                            destroy,
                                            &table};
static const plh_plugin_descriptor ahead = {sizeof(plh_plugin_descriptor),
                                            PLH_KIND_SYNC,
                                            "reads-ahead",
                                            "0.1.0",
                                            "chooses a slot not committed yet (the host must refuse it)",
                                            NULL,
                                            0,
                                            NULL,
                                            create_ahead,
                                            destroy,
                                            &table};

static int32_t init(void) { return 0; }
static void deinit(void) {}
static uint32_t count(void) { return 2; }
static const plh_plugin_descriptor* descriptor(uint32_t index) { return index == 0 ? &third : index == 1 ? &ahead : NULL; }

static const plh_entry entry = {sizeof(plh_entry), PLH_ABI_MAJOR, PLH_ABI_MINOR, init, deinit, count, descriptor};

PLH_EXPORT const plh_entry* plh_plugin_entry(void) { return &entry; }
