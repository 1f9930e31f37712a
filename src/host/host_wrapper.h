/*
 * The interface every host-side transport wrapper core implements (src/host/<wrapper>/), so host firmware, or the
 * relay program (src/host/relay/), drives any of them the same way.
 *
 * A core sits between two byte streams: the station's line (the UART to the provisioning station) and the node (the
 * UART to the wireless module). It owns no hardware and makes no OS calls: the firmware hands it bytes as they arrive,
 * gives it the time in milliseconds, and lends it the functions that write to the line and to the node. C99; no
 * allocation: each core keeps its state in static buffers sized by its own macros, so one core serves one line.
 *
 * The order of calls, all from one thread (or with the firmware's own lock):
 *     core->init(&io, &config, now);
 *     loop:  core->from_line(bytes, n, now)   for bytes from the station's UART
 *            core->from_node(bytes, n, now)   for bytes from the node's UART
 *            core->poll(now)                  at the latest when the wait it returned last has passed
 * Times are a free-running millisecond counter that may wrap (uint32_t); only differences are used.
 */
#ifndef HOST_WRAPPER_H
#define HOST_WRAPPER_H

#include <stddef.h>
#include <stdint.h>

/* What poll() returns when no timer is running: call it again whenever bytes arrive. */
#define HOST_WRAPPER_IDLE UINT32_MAX

/* Functions the firmware lends to a core. Each may be called from inside any core function. */
struct host_wrapper_io {
    void *ctx; /* passed back to each function */
    /* Writes bytes to the station's line (queue them; must not call back into the core). */
    void (*to_line)(void *ctx, const uint8_t *data, size_t len);
    /* Hands node-protocol bytes to the node, in order (the guide's UNIL_PT_SendMsg). */
    void (*to_node)(void *ctx, const uint8_t *data, size_t len);
    /* A message of the host platform's own from the station, not for the node (the guide's HOST_PLATFORM_ProcessMsg). May be NULL. */
    void (*host_message)(void *ctx, const uint8_t *msg, size_t len);
    /* One line of debug text, without a newline; never key material or a password. May be NULL. */
    void (*log)(void *ctx, const char *text);
};

/* How the firmware sets a core up. */
struct host_wrapper_config {
    uint32_t baud_rate;       /* the station's line rate: timers follow it */
    const uint8_t *password;  /* what a wrapper with link security (opt_psem) expects; NULL and 0 when none */
    size_t password_len;
};

/* One wrapper core: a constant table of functions; each core file defines one (host_wrapper_orw, ...). */
struct host_wrapper {
    const char *name; /* as the station's -Wrapper names it: "orw", "reliable", "opt_psem" */
    /* Forgets everything (also after the host restarts) and remembers io and config (both must outlive the core's use). */
    void (*init)(const struct host_wrapper_io *io, const struct host_wrapper_config *config, uint32_t now_ms);
    /* Bytes received from the station's line, any split. */
    void (*from_line)(const uint8_t *data, size_t len, uint32_t now_ms);
    /* Bytes received from the node, any split (a node frame may come in several pieces). */
    void (*from_node)(const uint8_t *data, size_t len, uint32_t now_ms);
    /* Sends a message of the host platform's own to the station. Returns 0 when taken, -1 when it cannot be sent now
       (too long for the wrapper's buffers, or the wrapper has no room or no session yet). */
    int (*send_host_message)(const uint8_t *msg, size_t len, uint32_t now_ms);
    /* Runs timers (acknowledgements, resends, session timeouts). Returns the milliseconds until it should be called
       again at the latest, or HOST_WRAPPER_IDLE. */
    uint32_t (*poll)(uint32_t now_ms);
};

extern const struct host_wrapper host_wrapper_orw;
extern const struct host_wrapper host_wrapper_reliable;
extern const struct host_wrapper host_wrapper_opt_psem;

#endif
