/* A third-party checksum policy shipped as a .so: Fletcher-32, policy id
 * 1000. The tests create a DataBlock with it and catch corruption. */
#include <string.h>

#include <pylabhub/plugin_abi.h>

static void fletcher32(const void* data, size_t size, uint8_t* digest) {
    const uint8_t* bytes = data;
    uint32_t a = 0xffff, b = 0xffff;
    for (size_t i = 0; i < size; ++i) {
        a = (a + bytes[i]) % 65535;
        b = (b + a) % 65535;
    }
    const uint32_t sum = (b << 16) | a;
    memcpy(digest, &sum, sizeof sum);
}

static const plh_checksum_vtable vtable = {sizeof(plh_checksum_vtable), 1000, 4, fletcher32};
static const plh_plugin_descriptor descriptor = {sizeof(plh_plugin_descriptor),
                                                 PLH_KIND_CHECKSUM,
                                                 "fletcher32",
                                                 "1.0.0",
                                                 "Fletcher-32 (third-party example)",
                                                 NULL,
                                                 0,
                                                 NULL,
                                                 NULL,
                                                 NULL,
                                                 &vtable};

static int32_t init(void) { return 0; }
static void deinit(void) {}
static uint32_t count(void) { return 1; }
static const plh_plugin_descriptor* at(uint32_t index) { return index == 0 ? &descriptor : NULL; }
static const plh_entry entry = {sizeof(plh_entry), PLH_ABI_MAJOR, PLH_ABI_MINOR, init, deinit, count, at};

PLH_EXPORT const plh_entry* plh_plugin_entry(void) { return &entry; }
