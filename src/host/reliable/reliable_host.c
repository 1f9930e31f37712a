/*
 * The host side of the reliable transport wrapper (docs/wrappers.md, "reliable"): frames
 *     [0x7E][type][seq][length lo][length hi][CRC-8 of those 5][payload][CRC-16 lo][CRC-16 hi]
 * with a reset handshake opened by the station, sequence numbers, acknowledgements that report gaps, and resends on a
 * timer. Node bytes from the station go to the node in order, without gaps or duplicates; the node's bytes go back
 * to the station the same way, cut into frames as they come.
 *
 * This host keeps only frames that arrive in order (the station sends again what it skipped), so one receive buffer
 * of one frame is all it needs. Implements struct host_wrapper (../host_wrapper.h) as host_wrapper_reliable.
 * C99, no allocation, no OS calls. Sizes, all in bytes unless said otherwise:
 *     RELIABLE_HOST_BUFFER   largest frame received, announced to the station (default 512; 32..4104)
 *     RELIABLE_TX_FRAME      largest frame sent (default RELIABLE_HOST_BUFFER)
 *     RELIABLE_TX_SLOTS      frames sent and kept until acknowledged (default 4)
 *     RELIABLE_NODE_FIFO     node bytes waiting for a frame (default 2 * RELIABLE_TX_FRAME)
 *     RELIABLE_WINDOW        frames the station may send ahead of the one expected (default 8)
 *     RELIABLE_RESENDS       resends of one frame before the session is dropped (default 12)
 * RAM: about RELIABLE_HOST_BUFFER + RELIABLE_TX_SLOTS * RELIABLE_TX_FRAME + RELIABLE_NODE_FIFO + 100.
 */
#include "../host_wrapper.h"

#include <string.h>

#ifndef RELIABLE_HOST_BUFFER
#define RELIABLE_HOST_BUFFER 512
#endif
#ifndef RELIABLE_TX_FRAME
#define RELIABLE_TX_FRAME RELIABLE_HOST_BUFFER
#endif
#ifndef RELIABLE_TX_SLOTS
#define RELIABLE_TX_SLOTS 4
#endif
#ifndef RELIABLE_NODE_FIFO
#define RELIABLE_NODE_FIFO (2 * RELIABLE_TX_FRAME)
#endif
#ifndef RELIABLE_WINDOW
#define RELIABLE_WINDOW 8
#endif
#ifndef RELIABLE_RESENDS
#define RELIABLE_RESENDS 12
#endif
#if RELIABLE_HOST_BUFFER < 32 || RELIABLE_HOST_BUFFER > 4104 || RELIABLE_TX_FRAME < 32 || RELIABLE_TX_FRAME > 4104
#error "reliable frames are 32 to 4104 bytes"
#endif
#if RELIABLE_TX_SLOTS < 1 || RELIABLE_TX_SLOTS > 64 || RELIABLE_WINDOW < 1 || RELIABLE_WINDOW > 64
#error "RELIABLE_TX_SLOTS and RELIABLE_WINDOW are 1 to 64"
#endif

#define SYNC 0x7E
#define T_RESET 0x01
#define T_RESET_ACK 0x02
#define T_CLOSE 0x03
#define T_CLOSE_ACK 0x04
#define T_NODE 0x10
#define T_HOST 0x11
#define T_ACK 0x20
#define OVERHEAD 8
#define VERSION 1

struct slot {
    uint16_t len;       /* 0: free */
    uint8_t transmissions;
    uint8_t held;       /* the station holds it out of order: no resend */
    uint8_t resend_now; /* an acknowledgement showed it lost */
    uint32_t tx_order;       /* of the latest copy */
    uint32_t first_tx_order; /* of the first copy */
    uint32_t deadline;
    uint8_t frame[RELIABLE_TX_FRAME];
};

static const struct host_wrapper_io *io;
static uint32_t byte_us; /* line time of one byte, microseconds */

static uint8_t rx[RELIABLE_HOST_BUFFER];
static size_t rx_len;

static int open_;
static uint32_t session_id;
static uint8_t peer_window = 1;
static uint16_t peer_max = 32;
static uint8_t rx_next;
static int highest_seen; /* offset after rx_next of the highest frame seen out of order; 0: none */
static int ack_due, no_session_due;

static struct slot slots[RELIABLE_TX_SLOTS];
static uint8_t send_base, send_next; /* frames send_base .. send_next-1 are in slots, by seq % RELIABLE_TX_SLOTS */
static uint32_t tx_order;
static uint8_t fifo[RELIABLE_NODE_FIFO];
static size_t fifo_head, fifo_len;
static uint8_t scratch[OVERHEAD + 64 / 8 + 1 > 16 ? OVERHEAD + 64 / 8 + 1 : 16];

static void say(const char *text)
{
    if (io->log) io->log(io->ctx, text);
}

static uint8_t crc8(const uint8_t *p, size_t n)
{
    uint8_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) crc = (uint8_t)((crc & 0x80) ? (crc << 1) ^ 0x07 : crc << 1);
    }
    return crc;
}

static uint16_t crc16(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++) crc = (uint16_t)((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

/* Writes a frame's header and checks around a payload already at out + 6; returns the frame length. */
static size_t seal(uint8_t *out, uint8_t type, uint8_t seq, size_t payload)
{
    out[0] = SYNC;
    out[1] = type;
    out[2] = seq;
    out[3] = (uint8_t)(payload & 0xFF);
    out[4] = (uint8_t)(payload >> 8);
    out[5] = crc8(out, 5);
    uint16_t crc = crc16(out, 6 + payload);
    out[6 + payload] = (uint8_t)(crc & 0xFF);
    out[7 + payload] = (uint8_t)(crc >> 8);
    return payload + OVERHEAD;
}

static uint32_t line_ms(size_t bytes) { return (uint32_t)((bytes * byte_us + 999u) / 1000u); }

/* Wait for an acknowledgement after a frame is written: its line time, the answer's behind a frame of the station's, and slack. */
static uint32_t timeout_ms(size_t frame) { return line_ms(frame + 32 + (peer_max < 256 ? peer_max : 256)) + 40u; }

static int due(uint32_t deadline, uint32_t now) { return (int32_t)(now - deadline) >= 0; }

static void send_reset_frame(uint8_t type, uint32_t id)
{
    uint8_t *p = scratch + 6;
    p[0] = VERSION;
    p[1] = RELIABLE_WINDOW;
    p[2] = (uint8_t)(RELIABLE_HOST_BUFFER & 0xFF);
    p[3] = (uint8_t)(RELIABLE_HOST_BUFFER >> 8);
    for (int i = 0; i < 4; i++) p[4 + i] = (uint8_t)(id >> (8 * i));
    io->to_line(io->ctx, scratch, seal(scratch, type, 0, 8));
}

/* SEQ: next expected; payload [L][bitmap]: L frames after it seen, none held (this host keeps only what comes in order). */
static void send_ack(void)
{
    size_t payload = 0;
    if (highest_seen > 0) {
        size_t bitmap = (size_t)(highest_seen + 7) / 8;
        scratch[6] = (uint8_t)highest_seen;
        memset(scratch + 7, 0, bitmap);
        payload = 1 + bitmap;
    }
    io->to_line(io->ctx, scratch, seal(scratch, T_ACK, rx_next, payload));
}

static void forget(void)
{
    open_ = 0;
    rx_next = send_base = send_next = 0;
    highest_seen = 0;
    ack_due = 0;
    fifo_head = fifo_len = 0;
    for (int i = 0; i < RELIABLE_TX_SLOTS; i++) slots[i].len = 0;
}

static void transmit(struct slot *s, uint32_t now)
{
    s->transmissions++;
    s->tx_order = ++tx_order;
    if (s->transmissions == 1) s->first_tx_order = s->tx_order;
    s->held = 0;
    s->resend_now = 0;
    s->deadline = now + timeout_ms(s->len);
    io->to_line(io->ctx, s->frame, s->len);
}

/* New frames from the node's bytes (or a host message), while the station's window and the slots allow. */
static void send_new(uint32_t now)
{
    while (open_ && fifo_len > 0) {
        uint8_t in_flight = (uint8_t)(send_next - send_base);
        if (in_flight >= RELIABLE_TX_SLOTS || in_flight >= peer_window) return;
        struct slot *s = &slots[send_next % RELIABLE_TX_SLOTS];
        size_t max = (peer_max < RELIABLE_TX_FRAME ? peer_max : RELIABLE_TX_FRAME) - OVERHEAD;
        size_t n = fifo_len < max ? fifo_len : max;
        for (size_t i = 0; i < n; i++) s->frame[6 + i] = fifo[(fifo_head + i) % RELIABLE_NODE_FIFO];
        fifo_head = (fifo_head + n) % RELIABLE_NODE_FIFO;
        fifo_len -= n;
        s->len = (uint16_t)seal(s->frame, T_NODE, send_next, n);
        s->transmissions = 0;
        send_next++;
        transmit(s, now);
    }
}

static void on_ack(uint8_t next, const uint8_t *payload, size_t len, uint32_t now)
{
    uint8_t in_flight = (uint8_t)(send_next - send_base);
    uint8_t acked = (uint8_t)(next - send_base);
    if (acked > in_flight) return; /* stale */
    for (uint8_t i = 0; i < acked; i++) {
        struct slot *done = &slots[(uint8_t)(send_base + i) % RELIABLE_TX_SLOTS];
        memset(done->frame, 0, done->len);
        done->len = 0;
    }
    send_base = next;
    in_flight = (uint8_t)(in_flight - acked);
    int seen = len >= 1 ? payload[0] : 0;
    if (seen > in_flight - 1) seen = in_flight - 1;
    if (seen > 0) {
        /* Frames sent before the last one the station saw, and neither delivered nor held, were lost. Which copy of that
           one it saw is not known: only frames last sent before its first copy are surely lost. */
        struct slot *last = &slots[(uint8_t)(send_base + seen) % RELIABLE_TX_SLOTS];
        for (int i = 0; i < seen; i++) {
            struct slot *s = &slots[(uint8_t)(send_base + i) % RELIABLE_TX_SLOTS];
            int held = i > 0 && (size_t)((i - 1) / 8) < len - 1 && (payload[1 + (i - 1) / 8] >> ((i - 1) % 8) & 1);
            if (held) s->held = 1;
            else if (s->tx_order < last->first_tx_order) s->resend_now = 1;
        }
        int last_held = (size_t)((seen - 1) / 8) < len - 1 && (payload[1 + (seen - 1) / 8] >> ((seen - 1) % 8) & 1);
        if (last_held) last->held = 1;
        else
            /* The station kept only what came in order: what is in flight behind the gap goes again, behind it. */
            for (int i = 0; i < in_flight; i++) {
                struct slot *s = &slots[(uint8_t)(send_base + i) % RELIABLE_TX_SLOTS];
                if (i >= seen && !s->held && slots[send_base % RELIABLE_TX_SLOTS].resend_now) s->resend_now = 1;
            }
    }
    for (uint8_t i = 0; i < in_flight; i++) {
        struct slot *s = &slots[(uint8_t)(send_base + i) % RELIABLE_TX_SLOTS];
        if (s->resend_now) transmit(s, now);
    }
    send_new(now);
}

static void on_data(uint8_t type, uint8_t seq, const uint8_t *payload, size_t len)
{
    ack_due = 1;
    uint8_t d = (uint8_t)(seq - rx_next);
    if (d >= RELIABLE_WINDOW) return; /* a duplicate, or beyond the window: acknowledged again, not kept */
    if (d > 0) {
        if (d > highest_seen) highest_seen = d; /* out of order: not kept; the station sends it again */
        return;
    }
    if (type == T_NODE) io->to_node(io->ctx, payload, len);
    else if (io->host_message) io->host_message(io->ctx, payload, len);
    rx_next++;
    if (highest_seen > 0) highest_seen--;
}

static void on_frame(const uint8_t *f, size_t len, uint32_t now)
{
    uint8_t type = f[1], seq = f[2];
    const uint8_t *payload = f + 6;
    size_t n = len - OVERHEAD;
    switch (type) {
    case T_RESET:
        if (n < 8 || payload[0] != VERSION) return;
        forget();
        open_ = 1;
        peer_window = payload[1] < 1 ? 1 : payload[1] > 64 ? 64 : payload[1];
        peer_max = (uint16_t)(payload[2] | payload[3] << 8);
        if (peer_max < 32) peer_max = 32;
        session_id = (uint32_t)payload[4] | (uint32_t)payload[5] << 8 | (uint32_t)payload[6] << 16 | (uint32_t)payload[7] << 24;
        send_reset_frame(T_RESET_ACK, session_id);
        say("session opened by the station");
        return;
    case T_CLOSE:
        scratch[6] = 0;
        io->to_line(io->ctx, scratch, seal(scratch, T_CLOSE_ACK, 0, 0));
        if (open_) say("session closed by the station");
        forget();
        return;
    case T_ACK:
        if (open_) on_ack(seq, payload, n, now);
        else no_session_due = 1;
        return;
    case T_NODE:
    case T_HOST:
        if (open_) on_data(type, seq, payload, n);
        else no_session_due = 1;
        return;
    default:
        return;
    }
}

/* Finds frames in rx: after damage, scanning resumes one byte after the rejected start. */
static void decode(uint32_t now)
{
    size_t at = 0;
    while (at < rx_len) {
        const uint8_t *p = rx + at;
        size_t rest = rx_len - at;
        if (p[0] != SYNC) { at++; continue; }
        if (rest < 6) break;
        size_t len = (size_t)(p[3] | p[4] << 8) + OVERHEAD;
        if (p[5] != crc8(p, 5) || len > RELIABLE_HOST_BUFFER) { at++; continue; }
        if (rest < len) break;
        if ((uint16_t)(p[len - 2] | p[len - 1] << 8) != crc16(p, len - 2)) { at++; continue; }
        on_frame(p, len, now);
        at += len;
    }
    memmove(rx, rx + at, rx_len - at);
    memset(rx + (rx_len - at), 0, at); /* frames can carry keys: nothing stays behind */
    rx_len -= at;
}

static void reliable_init(const struct host_wrapper_io *with, const struct host_wrapper_config *config, uint32_t now_ms)
{
    (void)now_ms;
    io = with;
    uint32_t baud = config && config->baud_rate ? config->baud_rate : 115200u;
    byte_us = 10000000u / baud;
    if (byte_us == 0) byte_us = 1;
    rx_len = 0;
    forget();
    no_session_due = 0;
}

static void reliable_from_line(const uint8_t *data, size_t len, uint32_t now)
{
    while (len > 0) {
        size_t room = sizeof rx - rx_len;
        size_t n = len < room ? len : room;
        memcpy(rx + rx_len, data, n);
        rx_len += n;
        data += n;
        len -= n;
        decode(now);
    }
    if (ack_due && open_) {
        ack_due = 0;
        send_ack();
    }
    if (no_session_due) {
        /* Frames of a session this host does not hold (it restarted): the station must open a new one. */
        no_session_due = 0;
        send_reset_frame(T_RESET, 0);
    }
    send_new(now);
}

static void reliable_from_node(const uint8_t *data, size_t len, uint32_t now)
{
    if (!open_) return; /* no session: no one to answer */
    for (size_t i = 0; i < len && fifo_len < RELIABLE_NODE_FIFO; i++) {
        fifo[(fifo_head + fifo_len) % RELIABLE_NODE_FIFO] = data[i];
        fifo_len++;
    }
    send_new(now);
}

static int reliable_send_host_message(const uint8_t *msg, size_t len, uint32_t now)
{
    uint8_t in_flight = (uint8_t)(send_next - send_base);
    size_t max = (peer_max < RELIABLE_TX_FRAME ? peer_max : RELIABLE_TX_FRAME) - OVERHEAD;
    if (!open_ || len > max || fifo_len > 0 || in_flight >= RELIABLE_TX_SLOTS || in_flight >= peer_window) return -1;
    struct slot *s = &slots[send_next % RELIABLE_TX_SLOTS];
    memcpy(s->frame + 6, msg, len);
    s->len = (uint16_t)seal(s->frame, T_HOST, send_next, len);
    s->transmissions = 0;
    send_next++;
    transmit(s, now);
    return 0;
}

static uint32_t reliable_poll(uint32_t now)
{
    uint32_t wait = HOST_WRAPPER_IDLE;
    uint8_t in_flight = (uint8_t)(send_next - send_base);
    for (uint8_t i = 0; i < in_flight && open_; i++) {
        struct slot *s = &slots[(uint8_t)(send_base + i) % RELIABLE_TX_SLOTS];
        if (s->held) continue;
        if (due(s->deadline, now)) {
            if (s->transmissions > RELIABLE_RESENDS) {
                say("session dropped: the station acknowledged nothing");
                forget();
                return HOST_WRAPPER_IDLE;
            }
            transmit(s, now);
        }
        uint32_t left = s->deadline - now;
        if (left < wait) wait = left;
    }
    return wait;
}

const struct host_wrapper host_wrapper_reliable = {
    "reliable", reliable_init, reliable_from_line, reliable_from_node, reliable_send_host_message, reliable_poll,
};
