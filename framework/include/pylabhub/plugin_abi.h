/* pyLabHub plugin ABI, version 1.
 *
 * The contract between the pylabhub host and plugin libraries. Pure C, so
 * any compiler and language can build a plugin, and append-only: see
 * docs/abi-policy.md for what a minor version may add.
 *
 * Rules for every struct that crosses the line:
 *   - it starts with `uint32_t struct_size`, set by whoever fills it in;
 *   - it only ever grows at the end;
 *   - the reader checks PLH_HAS_FIELD before touching a field, and treats a
 *     missing one as absent (NULL / 0);
 *   - no C++ types, no exceptions, and memory is freed by the side that
 *     allocated it. Strings the host hands out stay valid as stated below.
 *
 * A library exports exactly one symbol, plh_plugin_entry, and hides the
 * rest (-fvisibility=hidden). The host calls, on its control thread:
 *   plh_plugin_entry() -> entry; entry->init(); entry->descriptor(i) ...
 * and later, for each configured component, descriptor->create(...).
 */
#ifndef PYLABHUB_PLUGIN_ABI_H
#define PYLABHUB_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLH_ABI_MAJOR 1
#define PLH_ABI_MINOR 0

/* Name of the one exported function. */
#define PLH_ENTRY_SYMBOL "plh_plugin_entry"

#if defined(__GNUC__) || defined(__clang__)
#define PLH_EXPORT __attribute__((visibility("default")))
#else
#define PLH_EXPORT
#endif

/* True when the struct at `ptr` (type `type`) is large enough to hold `field`. */
#define PLH_HAS_FIELD(ptr, type, field) \
    ((ptr) != NULL && offsetof(type, field) + sizeof(((const type*)0)->field) <= (ptr)->struct_size)

/* ---- status codes ------------------------------------------------------ */

typedef int32_t plh_status;
enum {
    PLH_OK = 0,
    PLH_TIMEOUT = 1,           /* nothing happened in the time given; the host calls again */
    PLH_END = 2,               /* producer: the stream is finished */
    PLH_ERR_INVALID = -1,      /* bad argument, or a call out of order */
    PLH_ERR_CONFIG = -2,       /* a configuration value is missing or wrong */
    PLH_ERR_IO = -3,           /* device, file or network failure */
    PLH_ERR_CORRUPT = -4,      /* data failed validation */
    PLH_ERR_UNSUPPORTED = -5,  /* not available in this host or build */
    PLH_ERR_INTERNAL = -6      /* anything else */
};
/* With any error status, the plugin should first call host->report_error
 * with a message for people; the host shows it with the instance id. */

/* ---- what a library offers --------------------------------------------- */

typedef enum plh_plugin_kind {
    PLH_KIND_PRODUCER = 1,   /* instrument -> DataBlock */
    PLH_KIND_CONSUMER = 2,   /* DataBlock -> recorder, viewer, analysis */
    PLH_KIND_CHECKSUM = 3,   /* how a slot digest is made */
    PLH_KIND_SYNC = 4,       /* which slot a reader gets, when a writer waits */
    PLH_KIND_TRANSPORT = 5   /* moves a channel across a boundary (vtable: a later minor) */
} plh_plugin_kind;

typedef enum plh_config_type {
    PLH_CONFIG_BOOL = 1,        /* true/false, yes/no, on/off */
    PLH_CONFIG_INT = 2,         /* 64-bit signed */
    PLH_CONFIG_FLOAT = 3,       /* double */
    PLH_CONFIG_STRING = 4,
    PLH_CONFIG_DURATION = 5,    /* "250us", "10ms", "2s", "1m"; read as nanoseconds */
    PLH_CONFIG_SIZE = 6,        /* "4096", "4KiB", "1MiB", "2GiB"; read as bytes */
    PLH_CONFIG_STRING_LIST = 7  /* a YAML sequence of strings */
} plh_config_type;

/* One setting a plugin accepts: the host validates user input against it
 * (unknown keys, types, required, range), fills defaults, and prints it in
 * `pylabhub inspect ID`. */
typedef struct plh_config_entry {
    uint32_t struct_size;
    uint32_t type;              /* plh_config_type */
    const char* name;
    const char* description;
    const char* default_value;  /* in the text form a user would write; NULL: none */
    uint32_t required;          /* 1: the user must give it */
    uint32_t has_range;         /* 1: min_value..max_value apply (numbers, durations in ns, sizes in bytes) */
    double min_value;
    double max_value;
} plh_config_entry;

/* The slot layout a producer writes or a consumer accepts (docs/schema.md). */
typedef struct plh_schema_desc {
    uint32_t struct_size;
    const char* name;     /* "lab.Sample" */
    const char* version;  /* "MAJOR.MINOR.PATCH" */
    const char* blds;     /* "{seq@0:u64;value@8:f64}#16" */
} plh_schema_desc;

/* ---- what the host offers each instance --------------------------------- */

typedef struct plh_host_context plh_host_context;  /* opaque; one per instance */

/* What a consumer knows about one of its inputs (a channel). */
typedef struct plh_input_info {
    uint32_t struct_size;
    uint32_t index;
    const char* channel;         /* the channel's name in the pipeline */
    const char* schema_name;     /* "" when the producer declared no schema */
    const char* schema_version;
    const char* schema_blds;
    const char* schema_hash;     /* BLAKE2b-256 of the BLDS, 64 hex digits; "" without schema */
    uint64_t slot_bytes;
    uint32_t slot_count;
    uint32_t sync_policy;        /* 1 latest_only, 2 single_reader, 3 sync_reader */
    uint32_t checksum_policy;    /* 0 none, 1 blake2b, 2 xxh3, 1000+ plugins */
    uint32_t reserved;
} plh_input_info;

typedef enum plh_log_level {
    PLH_LOG_TRACE = 0,
    PLH_LOG_DEBUG = 1,
    PLH_LOG_INFO = 2,
    PLH_LOG_WARN = 3,
    PLH_LOG_ERROR = 4
} plh_log_level;

typedef struct plh_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;

    /* Any thread. The host tags the line with the instance id. */
    void (*log)(plh_host_context* ctx, int32_t level, const char* message);
    /* Any thread. A message for people about the error status the plugin is
     * about to return; the host copies it. */
    void (*report_error)(plh_host_context* ctx, const char* message);
    /* Any thread. The id of the instance in the pipeline ("sine"); valid until destroy. */
    const char* (*instance_id)(plh_host_context* ctx);

    /* Any thread. Configuration values, checked and with defaults filled.
     * PLH_ERR_CONFIG when `name` is not in the plugin's config map, has
     * another type, or (no default, not required) was not given. Strings are
     * valid until destroy. */
    plh_status (*config_bool)(plh_host_context* ctx, const char* name, int32_t* out);
    plh_status (*config_int)(plh_host_context* ctx, const char* name, int64_t* out);
    plh_status (*config_float)(plh_host_context* ctx, const char* name, double* out);
    plh_status (*config_string)(plh_host_context* ctx, const char* name, const char** out);
    plh_status (*config_duration_ns)(plh_host_context* ctx, const char* name, int64_t* out);
    plh_status (*config_size)(plh_host_context* ctx, const char* name, uint64_t* out);
    plh_status (*config_list_count)(plh_host_context* ctx, const char* name, uint32_t* out);
    plh_status (*config_list_item)(plh_host_context* ctx, const char* name, uint32_t index, const char** out);

    /* Any thread. Nanoseconds on the system-wide monotonic clock (the clock
     * of slot commit timestamps). */
    uint64_t (*monotonic_ns)(void);
    /* Any thread. Adds to a counter shown in the host's run summary. */
    void (*metric_add)(plh_host_context* ctx, const char* name, uint64_t delta);
    /* Any thread. Asks the host to stop the pipeline (e.g. a file fully replayed). */
    void (*request_stop)(plh_host_context* ctx);
    /* Any thread. Non-zero once the host is stopping this instance. */
    int32_t (*stop_requested)(plh_host_context* ctx);

    /* Producers only; one thread at a time, not during fill. Copies `bytes`
     * into the next slot of the instance's channel and commits it: for
     * plugins whose data arrives on their own threads (device callbacks).
     * PLH_TIMEOUT when the ring stayed full for timeout_ns,
     * PLH_END once the channel has closed (the run is stopping; safe to call
     * until destroy returns: stop your threads in destroy),
     * PLH_ERR_UNSUPPORTED for a consumer or before the channel exists. */
    plh_status (*write_slot)(plh_host_context* ctx, const void* data, size_t bytes, uint64_t timeout_ns);
    /* Host control thread, during create only. Declares the schema of this
     * instance's slots when it depends on the configuration (e.g. a channel
     * count); overrides the descriptor's. The host copies it. */
    plh_status (*declare_schema)(plh_host_context* ctx, const plh_schema_desc* schema);

    /* Consumers; any thread, from create on. How many inputs the instance
     * has, and what each one is; *out stays valid until destroy. */
    uint32_t (*input_count)(plh_host_context* ctx);
    plh_status (*input_info)(plh_host_context* ctx, uint32_t index, const plh_input_info** out);
} plh_host_api;

/* ---- kind-specific tables (each starts with struct_size) ---------------- */

/* Producer: the host's producer thread calls wait_next, and after PLH_OK
 * acquires a slot and calls fill with it (zero copy: write in place). */
typedef struct plh_producer_vtable {
    uint32_t struct_size;
    /* Producer thread. Block at most timeout_ns for the next sample (pacing,
     * device): PLH_OK (fill follows), PLH_TIMEOUT (nothing yet), PLH_END
     * (stream finished), or an error. */
    plh_status (*wait_next)(void* instance, uint64_t timeout_ns);
    /* Producer thread. Write one sample into `slot` (`capacity` bytes) and
     * set *bytes. An error status abandons the slot. */
    plh_status (*fill)(void* instance, void* slot, size_t capacity, size_t* bytes);
} plh_producer_vtable;

typedef struct plh_slot_info {
    uint32_t struct_size;
    uint32_t input_index;   /* which of the consumer's inputs */
    uint64_t sequence;      /* the slot's sequence id: gaps mean lost slots (latest_only) */
    uint64_t commit_ns;     /* when it was committed (monotonic_ns clock) */
    const char* channel;    /* the input's channel name */
} plh_slot_info;

/* Consumer: the host's consumer thread reads slots and hands each over in place. */
typedef struct plh_consumer_vtable {
    uint32_t struct_size;
    /* Consumer thread. `data` is the slot itself, valid only during the call. */
    plh_status (*consume)(void* instance, const void* data, size_t size, const plh_slot_info* info);
    /* Consumer thread, once, after the last consume (inputs drained). May be NULL. */
    plh_status (*flush)(void* instance);
} plh_consumer_vtable;

/* Checksum policy: how a slot's digest is made. No instance: create and
 * destroy may be NULL. */
typedef struct plh_checksum_vtable {
    uint32_t struct_size;
    uint32_t policy_id;     /* stored in segment headers; 0..999 are pyLabHub's, others use 1000+ */
    uint32_t digest_bytes;  /* at most 32 */
    /* Any thread, concurrently; no allocation. Writes digest_bytes bytes. */
    void (*compute)(const void* data, size_t size, uint8_t* digest);
} plh_checksum_vtable;

/* Sync policy: selects one of the DataBlock's slot protocols. The protocol
 * itself lives in shared memory and must be the same in every process, so
 * a plugin names a protocol and its limits rather than replacing it. No
 * instance: create and destroy may be NULL. */
typedef struct plh_sync_vtable {
    uint32_t struct_size;
    uint32_t policy_id;      /* 1 latest_only, 2 single_reader, 3 sync_reader */
    uint32_t lossless;       /* 1: the writer waits for consumers */
    uint32_t max_consumers;  /* 0: as configured on the channel */
} plh_sync_vtable;

/* ---- descriptors and the entry point ------------------------------------ */

typedef struct plh_plugin_descriptor {
    uint32_t struct_size;
    uint32_t kind;                          /* plh_plugin_kind */
    const char* id;                         /* unique among loaded plugins: "sine" */
    const char* version;                    /* the plugin's own version: "1.2.0" */
    const char* description;                /* one line */
    const plh_config_entry* const* config;  /* config_count pointers */
    uint32_t config_count;
    const plh_schema_desc* schema;          /* produced (producer) or accepted (consumer); NULL: any bytes */
    /* Host control thread. Make an instance for `ctx`; the config is ready.
     * On failure call host->report_error and return an error status. */
    plh_status (*create)(const plh_host_api* host, plh_host_context* ctx, void** instance);
    /* Host control thread, after the instance's thread has stopped. */
    void (*destroy)(void* instance);
    /* The kind's table: plh_producer_vtable, plh_consumer_vtable, ... */
    const void* vtable;
} plh_plugin_descriptor;

typedef struct plh_entry {
    uint32_t struct_size;
    uint16_t abi_major;  /* PLH_ABI_MAJOR the library was built against */
    uint16_t abi_minor;  /* PLH_ABI_MINOR the library was built against */
    /* Host control thread. Reference-counted: each successful init (returns
     * 0) is paired with one deinit, and nested loaders may init again. */
    int32_t (*init)(void);
    void (*deinit)(void);
    /* Host control thread, between init and deinit. Descriptors stay valid
     * until the last deinit. */
    uint32_t (*descriptor_count)(void);
    const plh_plugin_descriptor* (*descriptor)(uint32_t index);
} plh_entry;

/* The one exported symbol of a plugin library. */
typedef const plh_entry* (*plh_plugin_entry_fn)(void);
PLH_EXPORT const plh_entry* plh_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* PYLABHUB_PLUGIN_ABI_H */
