/* A producer written in C against the frozen ABI 1.0 header
 * (tests/abi/v1_0): every later 1.x host must load and run it.
 * It writes a u64 ramp that grows by `step`. */
#include <stdlib.h>
#include <string.h>

#include <pylabhub/plugin_abi.h>

typedef struct ramp {
    uint64_t value;
    int64_t step;
} ramp;

static const plh_config_entry step_entry = {
    sizeof(plh_config_entry), PLH_CONFIG_INT, "step", "increment per sample", "1", 0, 1, 1.0, 1000.0};
static const plh_config_entry* const config[] = {&step_entry};
static const plh_schema_desc schema = {sizeof(plh_schema_desc), "test.ramp", "1.0.0", "{value@0:u64}#8"};

static plh_status ramp_create(const plh_host_api* host, plh_host_context* ctx, void** instance) {
    ramp* self = calloc(1, sizeof(ramp));
    if (self == NULL) return PLH_ERR_INTERNAL;
    if (!PLH_HAS_FIELD(host, plh_host_api, config_int) || host->config_int(ctx, "step", &self->step) != PLH_OK) {
        free(self);
        if (PLH_HAS_FIELD(host, plh_host_api, report_error)) host->report_error(ctx, "no 'step' in the config");
        return PLH_ERR_CONFIG;
    }
    *instance = self;
    return PLH_OK;
}

static void ramp_destroy(void* instance) { free(instance); }

static plh_status ramp_wait_next(void* instance, uint64_t timeout_ns) {
    (void)instance;
    (void)timeout_ns;
    return PLH_OK;
}

static plh_status ramp_fill(void* instance, void* slot, size_t capacity, size_t* bytes) {
    ramp* self = instance;
    if (capacity < sizeof self->value) return PLH_ERR_INVALID;
    memcpy(slot, &self->value, sizeof self->value);
    self->value += (uint64_t)self->step;
    *bytes = sizeof self->value;
    return PLH_OK;
}

static const plh_producer_vtable vtable = {sizeof(plh_producer_vtable), ramp_wait_next, ramp_fill};
static const plh_plugin_descriptor descriptor = {sizeof(plh_plugin_descriptor),
                                                 PLH_KIND_PRODUCER,
                                                 "c-ramp",
                                                 "1.0.0",
                                                 "u64 ramp, written in C against ABI 1.0",
                                                 config,
                                                 1,
                                                 &schema,
                                                 ramp_create,
                                                 ramp_destroy,
                                                 &vtable};

static int references = 0;
static int32_t ramp_init(void) {
    ++references;
    return 0;
}
static void ramp_deinit(void) { --references; }
static uint32_t ramp_count(void) { return 1; }
static const plh_plugin_descriptor* ramp_descriptor(uint32_t index) { return index == 0 ? &descriptor : NULL; }

static const plh_entry entry = {sizeof(plh_entry), PLH_ABI_MAJOR, PLH_ABI_MINOR, ramp_init, ramp_deinit, ramp_count, ramp_descriptor};

PLH_EXPORT const plh_entry* plh_plugin_entry(void) { return &entry; }
