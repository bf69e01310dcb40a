/** @file
 * pyLabHub plugin ABI, version 1.1.
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

/** The ABI version this header describes: a host loads plugins of its own major and any minor (docs/abi-policy.md). */
#define PLH_ABI_MAJOR 1
/** Minor version: what a minor adds is marked "1.1" below. */
#define PLH_ABI_MINOR 1

/** Name of the one exported function. */
#define PLH_ENTRY_SYMBOL "plh_plugin_entry"

/** Marks the one exported function, plh_plugin_entry. */
#if defined(__GNUC__) || defined(__clang__)
#define PLH_EXPORT __attribute__((visibility("default")))
#else
#define PLH_EXPORT
#endif

/** True when the struct at `ptr` (type `type`) is large enough to hold `field`. */
#define PLH_HAS_FIELD(ptr, type, field) ((ptr) != NULL && offsetof(type, field) + sizeof(((const type*)0)->field) <= (ptr)->struct_size)

/* ---- status codes ------------------------------------------------------ */

/** What every call returns: PLH_OK, a positive "nothing yet / done" code, or a negative error. */
typedef int32_t plh_status;
enum {
    PLH_OK = 0,
    PLH_TIMEOUT = 1,          /**< nothing happened in the time given; the host calls again */
    PLH_END = 2,              /**< producer: the stream is finished */
    PLH_STREAM_CHANGED = 3,   /**< 1.1, inbound transport: the peer restarted; ask `stream` again */
    PLH_ERR_INVALID = -1,     /**< bad argument, or a call out of order */
    PLH_ERR_CONFIG = -2,      /**< a configuration value is missing or wrong */
    PLH_ERR_IO = -3,          /**< device, file or network failure */
    PLH_ERR_CORRUPT = -4,     /**< data failed validation */
    PLH_ERR_UNSUPPORTED = -5, /**< not available in this host or build */
    PLH_ERR_INTERNAL = -6     /**< anything else */
};
/** With any error status, the plugin should first call host->report_error
 * with a message for people; the host shows it with the instance id. */

/* ---- what a library offers --------------------------------------------- */

typedef enum plh_plugin_kind {
    PLH_KIND_PRODUCER = 1,  /**< instrument -> DataBlock */
    PLH_KIND_CONSUMER = 2,  /**< DataBlock -> recorder, viewer, analysis */
    PLH_KIND_CHECKSUM = 3,  /**< how a slot digest is made */
    PLH_KIND_SYNC = 4,      /**< which slot a reader gets, when a writer waits */
    PLH_KIND_TRANSPORT = 5, /**< moves a channel across a boundary (vtable: plh_transport_vtable, 1.1) */
    PLH_KIND_PROCESSOR = 6  /**< 1.1: reads channels, writes one channel (plh_processor_vtable) */
} plh_plugin_kind;

/** The type of a plugin setting (plh_config_entry::type). */
typedef enum plh_config_type {
    PLH_CONFIG_BOOL = 1,        /**< true/false, yes/no, on/off */
    PLH_CONFIG_INT = 2,         /**< 64-bit signed */
    PLH_CONFIG_FLOAT = 3,       /**< double */
    PLH_CONFIG_STRING = 4,      /**< any text */
    PLH_CONFIG_DURATION = 5,    /**< "250us", "10ms", "2s", "1m"; read as nanoseconds */
    PLH_CONFIG_SIZE = 6,        /**< "4096", "4KiB", "1MiB", "2GiB"; read as bytes */
    PLH_CONFIG_STRING_LIST = 7, /**< a YAML sequence of strings */
    PLH_CONFIG_TREE = 8         /**< 1.1: a YAML map or sequence of any depth; read with config_json */
} plh_config_type;

/** One setting a plugin accepts: the host validates user input against it
 * (unknown keys, types, required, range), fills defaults, and prints it in
 * `pylabhub inspect ID`. */
typedef struct plh_config_entry {
    uint32_t struct_size;      /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t type;             /**< plh_config_type */
    const char* name;          /**< the key in the YAML config map */
    const char* description;   /**< one line, for inspect and error messages */
    const char* default_value; /**< in the text form a user would write; NULL: none */
    uint32_t required;         /**< 1: the user must give it */
    uint32_t has_range;        /**< 1: min_value..max_value apply (numbers, durations in ns, sizes in bytes) */
    double min_value;          /**< smallest allowed value, with has_range */
    double max_value;          /**< largest allowed value, with has_range */
} plh_config_entry;

/** The slot layout a producer writes or a consumer accepts (docs/schema.md). */
typedef struct plh_schema_desc {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    const char* name;     /**< "lab.Sample" */
    const char* version;  /**< "MAJOR.MINOR.PATCH" */
    const char* blds;     /**< "{seq@0:u64;value@8:f64}#16" */
} plh_schema_desc;

/* ---- what the host offers each instance --------------------------------- */

typedef struct plh_host_context plh_host_context; /**< opaque; one per instance */

/** 1.1. A flexible zone of a channel: a small named area beside the ring
 * (calibration, device state) that the writer replaces as a whole and
 * readers copy consistently (zone_write / zone_read). */
typedef struct plh_zone_info {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t reserved;    /**< 0; keeps the next field aligned */
    const char* name;     /**< the zone's name in the channel's `zones:` */
    uint64_t bytes;       /**< its size */
} plh_zone_info;

/** What a consumer knows about one of its inputs (a channel). */
typedef struct plh_input_info {
    uint32_t struct_size;              /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t index;                    /**< the input's position in the component's `inputs:` */
    const char* channel;               /**< the channel's name in the pipeline */
    const char* schema_name;           /**< "" when the producer declared no schema */
    const char* schema_version;        /**< "MAJOR.MINOR.PATCH"; "" without schema */
    const char* schema_blds;           /**< the layout (docs/schema.md); "" without schema */
    const char* schema_hash;           /**< BLAKE2b-256 of the BLDS, 64 hex digits; "" without schema */
    uint64_t slot_bytes;               /**< the largest payload a slot holds */
    uint32_t slot_count;               /**< slots in the channel's ring */
    uint32_t sync_policy;              /**< 1 latest_only, 2 single_reader, 3 sync_reader */
    uint32_t checksum_policy;          /**< 0 none, 1 blake2b, 2 xxh3, 1000+ plugins */
    uint32_t reserved;                 /**< 0; keeps the next field aligned */
    uint32_t zone_count;               /**< 1.1: the channel's flexible zones */
    uint32_t read_lossless;            /**< 1: this input is read losslessly (every slot); 0: by a read policy that may skip */
    const plh_zone_info* const* zones; /**< zone_count pointers */
} plh_input_info;

/** Levels for plh_host_api::log. */
typedef enum plh_log_level { PLH_LOG_TRACE = 0, PLH_LOG_DEBUG = 1, PLH_LOG_INFO = 2, PLH_LOG_WARN = 3, PLH_LOG_ERROR = 4 } plh_log_level;

/** What the host offers each instance: logging, configuration, the clock,
 * metrics, slots for device threads, zones, the network directory. Every
 * function takes the instance's context; the thread rules are given per
 * function. */
typedef struct plh_host_api {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint16_t abi_major;   /**< the host's PLH_ABI_MAJOR */
    uint16_t abi_minor;   /**< the host's PLH_ABI_MINOR: functions of a later minor are NULL or absent */

    /** Any thread. The host tags the line with the instance id. */
    void (*log)(plh_host_context* ctx, int32_t level, const char* message);
    /** Any thread. A message for people about the error status the plugin is
     * about to return; the host copies it. */
    void (*report_error)(plh_host_context* ctx, const char* message);
    /** Any thread. The id of the instance in the pipeline ("sine"); valid until destroy. */
    const char* (*instance_id)(plh_host_context* ctx);

    /** Any thread. Configuration values, checked and with defaults filled.
     * PLH_ERR_CONFIG when `name` is not in the plugin's config map, has
     * another type, or (no default, not required) was not given. Strings are
     * valid until destroy. */
    plh_status (*config_bool)(plh_host_context* ctx, const char* name, int32_t* out);
    /** A PLH_CONFIG_INT value (see config_bool for the rules). */
    plh_status (*config_int)(plh_host_context* ctx, const char* name, int64_t* out);
    /** A PLH_CONFIG_FLOAT value. */
    plh_status (*config_float)(plh_host_context* ctx, const char* name, double* out);
    /** A PLH_CONFIG_STRING value; valid until destroy. */
    plh_status (*config_string)(plh_host_context* ctx, const char* name, const char** out);
    /** A PLH_CONFIG_DURATION value, in nanoseconds. */
    plh_status (*config_duration_ns)(plh_host_context* ctx, const char* name, int64_t* out);
    /** A PLH_CONFIG_SIZE value, in bytes. */
    plh_status (*config_size)(plh_host_context* ctx, const char* name, uint64_t* out);
    /** How many strings a PLH_CONFIG_STRING_LIST value holds. */
    plh_status (*config_list_count)(plh_host_context* ctx, const char* name, uint32_t* out);
    /** String `index` of a PLH_CONFIG_STRING_LIST value; valid until destroy. */
    plh_status (*config_list_item)(plh_host_context* ctx, const char* name, uint32_t index, const char** out);

    /** Any thread. Nanoseconds on the system-wide monotonic clock (the clock
     * of slot commit timestamps). */
    uint64_t (*monotonic_ns)(void);
    /** Any thread. Adds to a counter shown in the host's run summary. */
    void (*metric_add)(plh_host_context* ctx, const char* name, uint64_t delta);
    /** Any thread. Asks the host to stop the pipeline (e.g. a file fully replayed). */
    void (*request_stop)(plh_host_context* ctx);
    /** Any thread. Non-zero once the host is stopping this instance. */
    int32_t (*stop_requested)(plh_host_context* ctx);

    /** Producers only; one thread at a time, not during fill. Copies `bytes`
     * into the next slot of the instance's channel and commits it: for
     * plugins whose data arrives on their own threads (device callbacks).
     * PLH_TIMEOUT when the ring stayed full for timeout_ns,
     * PLH_END once the channel has closed (the run is stopping; safe to call
     * until destroy returns: stop your threads in destroy),
     * PLH_ERR_UNSUPPORTED for a consumer or before the channel exists. */
    plh_status (*write_slot)(plh_host_context* ctx, const void* data, size_t bytes, uint64_t timeout_ns);
    /** Host control thread, during create only. Declares the schema of this
     * instance's slots when it depends on the configuration (e.g. a channel
     * count); overrides the descriptor's. The host copies it. */
    plh_status (*declare_schema)(plh_host_context* ctx, const plh_schema_desc* schema);

    /** Consumers; any thread, from create on. How many inputs the instance
     * has, and what each one is; *out stays valid until destroy. */
    uint32_t (*input_count)(plh_host_context* ctx);
    /** Input `index` (0 .. input_count - 1); PLH_ERR_INVALID beyond. */
    plh_status (*input_info)(plh_host_context* ctx, uint32_t index, const plh_input_info** out);

    /* ---- 1.1 ---- */

    /** Any thread. A configuration value as JSON text: the way to read a
     * PLH_CONFIG_TREE entry (nested maps and lists), and the JSON form of any
     * other type. Same errors as config_string; valid until destroy. */
    plh_status (*config_json)(plh_host_context* ctx, const char* name, const char** out);
    /** Any thread, from create on. The channel this instance writes (producer,
     * processor, inbound transport): its name, layout, schema and zones, as
     * index 0 of an plh_input_info. PLH_ERR_UNSUPPORTED for pure readers.
     * *out stays valid until destroy. */
    plh_status (*output_info)(plh_host_context* ctx, const plh_input_info** out);
    /** The channel's writer only; any thread, until destroy. Replaces the
     * whole zone: copies `bytes` (at most the zone's size; the rest is set
     * to 0) under the zone's lock, and stores its checksum when the channel
     * has a checksum policy. PLH_ERR_INVALID: no such zone or too large;
     * PLH_END: the channel has closed. */
    plh_status (*zone_write)(plh_host_context* ctx, const char* zone, const void* data, size_t bytes);
    /** Readers; any thread. A consistent copy of zone `zone` of input
     * `input_index` (never a half-written one): *bytes = the zone's size,
     * which must fit `capacity`; *version = how many times it was written
     * (0: never, the copy is all zeros). PLH_ERR_CORRUPT: it fails its
     * checksum; PLH_TIMEOUT: a writer held it for all of timeout_ns. */
    plh_status (*zone_read)(plh_host_context* ctx, uint32_t input_index, const char* zone, void* out, size_t capacity, size_t* bytes,
                            uint64_t* version, uint64_t timeout_ns);
    /** Any thread. For a transport instance, its direction (plh_transport_direction); 0 otherwise. */
    uint32_t (*transport_direction)(plh_host_context* ctx);
    /** Outbound transports; any thread. Tells the pipeline's broker that this
     * instance's channel can be reached at `endpoint`, with the CurveZMQ
     * public key `curve_public_key` (Z85; NULL or "" without Curve). */
    plh_status (*advertise)(plh_host_context* ctx, const char* endpoint, const char* curve_public_key);
    /** Inbound transports; any thread; blocks at most timeout_ns. Where the
     * channel `channel` is advertised, copied into the caller's buffers
     * (NUL-terminated). PLH_TIMEOUT: nobody advertises it (yet);
     * PLH_ERR_INVALID: a buffer is too small; PLH_ERR_IO: no broker. */
    plh_status (*discover)(plh_host_context* ctx, const char* channel, char* endpoint, size_t endpoint_capacity, char* curve_public_key,
                           size_t key_capacity, uint64_t timeout_ns);
} plh_host_api;

/* ---- kind-specific tables (each starts with struct_size) ---------------- */

/** Producer: the host's producer thread calls wait_next, and after PLH_OK
 * acquires a slot and calls fill with it (zero copy: write in place). */
typedef struct plh_producer_vtable {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    /** Producer thread. Block at most timeout_ns for the next sample (pacing,
     * device): PLH_OK (fill follows), PLH_TIMEOUT (nothing yet), PLH_END
     * (stream finished), or an error. timeout_ns 0 asks "is one ready now?":
     * the host fills runs of slots with the samples that are, and publishes
     * each run at once, so this must not block then. */
    plh_status (*wait_next)(void* instance, uint64_t timeout_ns);
    /** Producer thread. Write one sample into `slot` (`capacity` bytes) and
     * set *bytes. An error status abandons the slot. */
    plh_status (*fill)(void* instance, void* slot, size_t capacity, size_t* bytes);
} plh_producer_vtable;

/** The slot a consumer, processor or outbound transport is handed. */
typedef struct plh_slot_info {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t input_index; /**< which of the consumer's inputs */
    uint64_t sequence;    /**< the slot's sequence id: gaps mean lost slots (latest_only) */
    uint64_t commit_ns;   /**< when it was committed (monotonic_ns clock) */
    const char* channel;  /**< the input's channel name */
} plh_slot_info;

/** Consumer: the host's consumer thread reads slots and hands each over in place. */
typedef struct plh_consumer_vtable {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    /** Consumer thread. `data` is the slot itself, valid only during the call. */
    plh_status (*consume)(void* instance, const void* data, size_t size, const plh_slot_info* info);
    /** Consumer thread, once, after the last consume (inputs drained). May be NULL. */
    plh_status (*flush)(void* instance);
} plh_consumer_vtable;

/** Checksum policy: how a slot's digest is made. No instance: create and
 * destroy may be NULL. */
typedef struct plh_checksum_vtable {
    uint32_t struct_size;  /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t policy_id;    /**< stored in segment headers; 0..999 are pyLabHub's, others use 1000+ */
    uint32_t digest_bytes; /**< at most 32 */
    /** Any thread, concurrently; no allocation. Writes digest_bytes bytes. */
    void (*compute)(const void* data, size_t size, uint8_t* digest);
} plh_checksum_vtable;

/** 1.1. What a read policy sees when it chooses a reader's next slot.
 * Sequences count commits from 0; the ring holds the newest slot_count. */
typedef struct plh_read_state {
    uint32_t struct_size;      /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t slot_count;       /**< slots in the ring */
    uint64_t last_sequence;    /**< the last slot this reader read; UINT64_MAX before the first */
    uint64_t last_commit_ns;   /**< its commit time; 0 before the first */
    uint64_t last_read_ns;     /**< when the reader took it (monotonic_ns); 0 before the first */
    uint64_t newest_sequence;  /**< the newest committed slot; UINT64_MAX while there is none */
    uint64_t newest_commit_ns; /**< its commit time */
    uint64_t now_ns;           /**< the monotonic clock now */
} plh_read_state;

enum {
    PLH_READ_SLOT = 1, /**< read `sequence` */
    PLH_READ_WAIT = 2  /**< nothing now: ask again after wait_ns, or at the next commit */
};

/** 1.1. A read policy's answer. */
typedef struct plh_read_choice {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t action;      /**< PLH_READ_SLOT or PLH_READ_WAIT */
    uint64_t sequence;    /**< SLOT: after last_sequence, at most newest_sequence */
    uint64_t wait_ns;     /**< WAIT: at most this long before asking again; 0: until the next commit */
} plh_read_choice;

/** Sync policy. `policy_id` names one of the DataBlock's slot protocols,
 * which decides when the *writer* waits; the protocol lives in shared
 * memory and is the same in every process, so a plugin never replaces it.
 * From 1.1 a sync plugin may also be a *read policy*: `select` chooses
 * which slot one reader gets next (`read: ID` on a pipeline input). A read
 * policy reader is never waited for by the writer, and reads copies that
 * are validated before the consumer sees them. Without `select`, create
 * and destroy may be NULL; with it, the host makes one instance per input,
 * with that input's `config:`. */
typedef struct plh_sync_vtable {
    uint32_t struct_size;   /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t policy_id;     /**< 1 latest_only, 2 single_reader, 3 sync_reader; 0: a read policy only */
    uint32_t lossless;      /**< 1: the writer waits for consumers */
    uint32_t max_consumers; /**< 0: as configured on the channel */
    /** 1.1. The reader's thread; must not block. NULL: not a read policy.
     * A sequence outside (last_sequence, newest_sequence] is refused by the
     * host, which then stops the reader and names the plugin. */
    plh_status (*select)(void* instance, const plh_read_state* state, plh_read_choice* choice);
} plh_sync_vtable;

/** 1.1. The output slot a processor writes: the next slot of its channel,
 * in shared memory (zero copy). */
typedef struct plh_output_slot {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t reserved;    /**< 0; keeps the next field aligned */
    void* data;           /**< the slot's bytes */
    size_t capacity;      /**< how many bytes fit */
    size_t bytes;         /**< set by the plugin; 0 (the default) emits nothing */
} plh_output_slot;

/** 1.1. Processor: reads its inputs like a consumer (every slot, in order
 * per input) and writes its one channel like a producer. */
typedef struct plh_processor_vtable {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    /** Processor thread. One input slot, valid during the call; write at
     * most one output slot into `out` (out->bytes = 0 emits nothing). */
    plh_status (*process)(void* instance, const void* data, size_t size, const plh_slot_info* info, plh_output_slot* out);
    /** Processor thread, once, after the inputs are drained: may emit a last
     * slot. May be NULL. */
    plh_status (*flush)(void* instance, plh_output_slot* out);
} plh_processor_vtable;

/** 1.1. Transports move a channel across a boundary. An `out` instance reads
 * a local channel like a consumer and sends it; an `in` instance receives a
 * stream and writes a local channel like a producer. */
typedef enum plh_transport_direction { PLH_TRANSPORT_OUT = 1, PLH_TRANSPORT_IN = 2 } plh_transport_direction;

/** What an inbound stream carries, as its sender described it. */
typedef struct plh_stream_info {
    uint32_t struct_size;       /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t sync_policy;       /**< the sender's channel: 1, 2 or 3 */
    const char* schema_name;    /**< "" without schema */
    const char* schema_version; /**< "MAJOR.MINOR.PATCH"; "" without schema */
    const char* schema_blds;    /**< the layout; "" without schema */
    uint64_t slot_bytes;        /**< the largest slot the sender sends */
    uint64_t first_sequence;    /**< where the stream starts or resumes; UINT64_MAX: not known yet */
    const char* peer;           /**< for people: "tcp://10.0.0.2:5601" */
} plh_stream_info;

/** One slot an inbound transport received. */
typedef struct plh_received_slot {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t reserved;    /**< 0; keeps the next field aligned */
    uint64_t sequence;    /**< the sender's sequence id: a jump is a gap */
    uint64_t commit_ns;   /**< the sender's commit time, in this host's monotonic clock (0: now) */
    size_t bytes;         /**< how many bytes the plugin wrote into the slot */
} plh_received_slot;

/** 1.1. A transport's table (PLH_KIND_TRANSPORT): one instance plays the
 * outbound half (send) or the inbound half (stream, receive), as
 * plh_host_api::transport_direction says. */
typedef struct plh_transport_vtable {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    /** Out, transport thread. Send one committed slot (valid during the
     * call). PLH_TIMEOUT: not taken yet (no credit): the host calls again
     * with the same slot, holding the ring back like a slow consumer. */
    plh_status (*send)(void* instance, const void* data, size_t size, const plh_slot_info* info, uint64_t timeout_ns);
    /** Both, transport thread, when there is nothing to send or receive:
     * service the link for at most timeout_ns. May be NULL. */
    plh_status (*idle)(void* instance, uint64_t timeout_ns);
    /** In, transport thread, before the first receive and after
     * PLH_STREAM_CHANGED: PLH_OK with *out (valid until the next call) once
     * the stream is described, PLH_TIMEOUT while no peer has spoken. */
    plh_status (*stream)(void* instance, uint64_t timeout_ns, const plh_stream_info** out);
    /** In, transport thread. Write the next received slot into `slot` (the
     * local channel's next slot: zero copy) and fill *got. PLH_TIMEOUT:
     * nothing yet; PLH_END: the peer ended its stream; PLH_STREAM_CHANGED. */
    plh_status (*receive)(void* instance, void* slot, size_t capacity, plh_received_slot* got, uint64_t timeout_ns);
    /** Both, once at the end. May be NULL. */
    plh_status (*flush)(void* instance);
} plh_transport_vtable;

/* ---- descriptors and the entry point ------------------------------------ */

/** One plugin a library offers: what it is, its config map, its schema,
 * and how to make and destroy instances. */
typedef struct plh_plugin_descriptor {
    uint32_t struct_size;    /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint32_t kind;           /**< plh_plugin_kind */
    const char* id;          /**< unique among loaded plugins of its kind: "sine" */
    const char* version;     /**< the plugin's own version: "1.2.0" */
    const char* description; /**< one line */
    const plh_config_entry* const* config; /**< config_count pointers */
    uint32_t config_count;                 /**< entries in `config` */
    const plh_schema_desc* schema;         /**< produced (producer) or accepted (consumer); NULL: any bytes */
    /** Host control thread. Make an instance for `ctx`; the config is ready.
     * On failure call host->report_error and return an error status. */
    plh_status (*create)(const plh_host_api* host, plh_host_context* ctx, void** instance);
    /** Host control thread, after the instance's thread has stopped. */
    void (*destroy)(void* instance);
    /** The kind's table: plh_producer_vtable, plh_consumer_vtable, ... */
    const void* vtable;
} plh_plugin_descriptor;

/** What plh_plugin_entry returns: the library's ABI version and its plugins. */
typedef struct plh_entry {
    uint32_t struct_size; /**< sizeof the struct as whoever filled it in knew it: fields past it are absent (PLH_HAS_FIELD) */
    uint16_t abi_major;   /**< PLH_ABI_MAJOR the library was built against */
    uint16_t abi_minor;   /**< PLH_ABI_MINOR the library was built against */
    /** Host control thread. Reference-counted: each successful init (returns
     * 0) is paired with one deinit, and nested loaders may init again. */
    int32_t (*init)(void);
    /** Host control thread. Pairs with a successful init; the last one may free what init made. */
    void (*deinit)(void);
    /** Host control thread, between init and deinit. Descriptors stay valid
     * until the last deinit. */
    uint32_t (*descriptor_count)(void);
    /** Descriptor `index` (0 .. descriptor_count - 1). */
    const plh_plugin_descriptor* (*descriptor)(uint32_t index);
} plh_entry;

/** The one exported symbol of a plugin library. */
typedef const plh_entry* (*plh_plugin_entry_fn)(void);
PLH_EXPORT const plh_entry* plh_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /**< PYLABHUB_PLUGIN_ABI_H */
