/*
 * The meter side of the opt_psem wrapper: ANSI C12.18 (PSEM) on the meter's optical port, serving the node inside the
 * meter (docs/wrappers.md, "opt_psem"). The station is the C12.18 client; this core answers its requests:
 * Identification, Negotiate, Logon, Security, Read and Write of the node mailbox (table 2200) and the host mailbox
 * (table 2201), Wait, Logoff and Terminate, with the data link's ACK/NAK, three resends, the toggle bit and the
 * inter-character (500 ms), response (2 s) and channel traffic (6 s, or the last Wait) timeouts.
 *
 * C99; no allocation and no OS calls: state lives in static buffers sized by the macros below, and the firmware hands
 * in bytes and the time (host_wrapper.h). One core serves one optical port.
 *
 * Buffers (bytes): OPT_PSEM_PACKET_MAX, the largest packet taken (header and CRC included; what Negotiate grants at
 * most; 256 by default, a small host); OPT_PSEM_PACKETS, packets per message reassembled (1 by default);
 * OPT_PSEM_NODE_OUT, the node's bytes held until the station has read them; OPT_PSEM_HOST_OUT, one host message
 * waiting for the station.
 */
#include "../host_wrapper.h"

#include <string.h>

#ifndef OPT_PSEM_PACKET_MAX
#define OPT_PSEM_PACKET_MAX 256
#endif
#ifndef OPT_PSEM_PACKETS
#define OPT_PSEM_PACKETS 1
#endif
#ifndef OPT_PSEM_NODE_OUT
#define OPT_PSEM_NODE_OUT 512
#endif
#ifndef OPT_PSEM_HOST_OUT
#define OPT_PSEM_HOST_OUT 64
#endif

#if OPT_PSEM_PACKET_MAX < 64 || OPT_PSEM_PACKET_MAX > 8192
#error "OPT_PSEM_PACKET_MAX is a C12.18 packet size: 64 to 8192 bytes"
#endif
#if OPT_PSEM_PACKETS < 1 || OPT_PSEM_PACKETS > 255
#error "OPT_PSEM_PACKETS is 1 to 255"
#endif

#define STP 0xEE
#define ACK 0x06
#define NAK 0x15
#define HEADER 6
#define OVERHEAD 8
#define DATA_MAX (OPT_PSEM_PACKET_MAX - OVERHEAD)
#define MSG_MAX (DATA_MAX * OPT_PSEM_PACKETS)
#define CTL_MULTI 0x80
#define CTL_FIRST 0x40
#define CTL_TOGGLE 0x20
#define RETRIES 3
#define RESPONSE_TIMEOUT_MS 2000u
#define INTER_CHARACTER_MS 500u
#define CHANNEL_TRAFFIC_MS 6000u
#define NODE_TABLE 2200u
#define HOST_TABLE 2201u
#define PASSWORD_LEN 20

enum { OK = 0x00, ERR = 0x01, SNS = 0x02, ISC = 0x03, ONP = 0x04, IAR = 0x05, ISSS = 0x0A };
enum state { BASE, IDENTIFIED, SESSION };

static const struct host_wrapper_io *io;
static const struct host_wrapper_config *cfg;

/* Receiving. */
static uint8_t rx[OPT_PSEM_PACKET_MAX];
static size_t rx_count;
static uint32_t rx_last;
static uint8_t msg[MSG_MAX];
static size_t msg_len;
static int expect_seq = -1;
static int have_last;
static uint8_t last_toggle;
static uint16_t last_crc;

/* Sending one response, packet by packet. */
static uint8_t resp[MSG_MAX];
static size_t resp_len, per_packet;
static int resp_packets, resp_index, sending, tries;
static uint8_t tx[OPT_PSEM_PACKET_MAX];
static size_t tx_len;
static uint32_t ack_due;
static int toggle;

/* Negotiated sizes, and what changes once the response is acknowledged. */
static size_t packet_size = 64;
static int packets = 1;
static size_t next_packet_size;
static int next_packets, end_after;

/* Session. */
static enum state state;
static int cleared;
static uint32_t last_request, channel_ms;
static uint32_t in_pos, out_base; /* stream positions, modulo 2^24 */
static uint8_t node_out[OPT_PSEM_NODE_OUT];
static size_t node_out_count;
static uint8_t host_out[OPT_PSEM_HOST_OUT];
static size_t host_out_len;
static int host_out_full;

static void log_text(const char *text)
{
    if (io->log) io->log(io->ctx, text);
}

/* CRC-16/X-25: 0x1021 reflected (0x8408), initial 0xFFFF, complemented; sent low byte first. */
static uint16_t crc16(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xFFFF;
    while (n--) {
        crc ^= *p++;
        for (int bit = 0; bit < 8; bit++) crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
    }
    return (uint16_t)~crc;
}

static uint8_t table_checksum(const uint8_t *p, size_t n)
{
    unsigned sum = 0;
    while (n--) sum += *p++;
    return (uint8_t)(0u - sum);
}

static void send_byte(uint8_t b) { io->to_line(io->ctx, &b, 1); }

static void transmit(uint32_t now)
{
    io->to_line(io->ctx, tx, tx_len);
    /* the 2 s count from when the packet has left: its line time first */
    ack_due = now + (uint32_t)(tx_len * 10000u / (cfg->baud_rate ? cfg->baud_rate : 9600u)) + RESPONSE_TIMEOUT_MS;
}

static void build_packet(uint32_t now)
{
    size_t start = (size_t)resp_index * per_packet;
    size_t n = resp_len - start < per_packet ? resp_len - start : per_packet;
    uint8_t ctl = 0;
    if (resp_packets > 1) ctl = (uint8_t)(CTL_MULTI | (resp_index == 0 ? CTL_FIRST : 0));
    if (toggle) ctl |= CTL_TOGGLE;
    toggle = !toggle;
    tx[0] = STP;
    tx[1] = 0;
    tx[2] = ctl;
    tx[3] = (uint8_t)(resp_packets - 1 - resp_index);
    tx[4] = (uint8_t)(n >> 8);
    tx[5] = (uint8_t)n;
    memcpy(&tx[HEADER], &resp[start], n);
    uint16_t crc = crc16(tx, HEADER + n);
    tx[HEADER + n] = (uint8_t)crc;
    tx[HEADER + n + 1] = (uint8_t)(crc >> 8);
    tx_len = HEADER + n + 2;
    tries = 0;
    transmit(now);
}

/* Starts sending resp[0..resp_len) in as few packets of the negotiated size as it takes. */
static void respond(uint32_t now)
{
    size_t cap = packet_size - OVERHEAD;
    resp_packets = (int)((resp_len + cap - 1) / cap);
    if (resp_packets > packets) resp_packets = packets; /* cannot happen: responses are sized to fit */
    per_packet = (resp_len + (size_t)resp_packets - 1) / (size_t)resp_packets;
    resp_index = 0;
    sending = 1;
    build_packet(now);
}

static void apply_after_response(void)
{
    if (next_packet_size) {
        packet_size = next_packet_size;
        packets = next_packets;
        next_packet_size = 0;
    }
    if (end_after) {
        end_after = 0;
        have_last = 0;
        toggle = 0;
    }
}

static void end_session(void)
{
    state = BASE;
    cleared = 0;
    channel_ms = CHANNEL_TRAFFIC_MS;
    packet_size = 64;
    packets = 1;
}

static void code(uint8_t c)
{
    resp[0] = c;
    resp_len = 1;
}

static uint32_t get24(const uint8_t *p) { return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t distance(uint32_t from, uint32_t to) { return (to - from) & 0xFFFFFFu; } /* forward, modulo 2^24 */

static void drop_node_out(size_t n)
{
    memmove(node_out, &node_out[n], node_out_count - n);
    memset(&node_out[node_out_count - n], 0, n);
    node_out_count -= n;
    out_base = (out_base + (uint32_t)n) & 0xFFFFFFu;
}

static void read_response(const uint8_t *data, size_t n)
{
    resp[0] = OK;
    resp[1] = (uint8_t)(n >> 8);
    resp[2] = (uint8_t)n;
    memcpy(&resp[3], data, n);
    resp[3 + n] = table_checksum(data, n);
    resp_len = n + 4;
}

static void handle_read(const uint8_t *r, size_t n)
{
    int offset = r[0] == 0x3F;
    if (n != (size_t)(offset ? 8 : 3)) { code(ERR); return; }
    uint16_t table = get16(&r[1]);
    size_t room = packet_size - OVERHEAD;
    room = room * (size_t)packets - 4;
    if (table == HOST_TABLE && !offset) {
        /* a message longer than this session's packets can carry waits for a session that negotiates larger ones */
        size_t len = host_out_full && host_out_len <= room ? host_out_len : 0;
        read_response(host_out, len);
        if (len > 0) {
            host_out_full = 0;
            memset(host_out, 0, sizeof host_out);
        }
        return;
    }
    if (table != NODE_TABLE) { code(IAR); return; }
    if (!offset) {
        size_t len = node_out_count < room ? node_out_count : room;
        read_response(node_out, len);
        drop_node_out(len);
        return;
    }
    uint32_t ahead = distance(out_base, get24(&r[3]));
    size_t want = get16(&r[6]);
    if (ahead > node_out_count) { code(ONP); return; }
    drop_node_out(ahead); /* reading from a position acknowledges every byte before it */
    size_t len = node_out_count;
    if (len > want) len = want;
    if (len > room) len = room;
    read_response(node_out, len);
}

static void handle_write(const uint8_t *r, size_t n)
{
    int offset = r[0] == 0x4F;
    size_t header = offset ? 8 : 5;
    if (n < header + 1) { code(ERR); return; }
    uint16_t table = get16(&r[1]);
    size_t count = get16(&r[header - 2]);
    if (n != header + count + 1 || table_checksum(&r[header], count) != r[n - 1]) { code(ERR); return; }
    const uint8_t *data = &r[header];
    if (table == HOST_TABLE && !offset) {
        if (io->host_message) io->host_message(io->ctx, data, count);
        code(OK);
        return;
    }
    if (table != NODE_TABLE) { code(IAR); return; }
    if (!offset) {
        io->to_node(io->ctx, data, count);
        in_pos = (in_pos + (uint32_t)count) & 0xFFFFFFu;
        code(OK);
        return;
    }
    uint32_t behind = distance(get24(&r[3]), in_pos);
    if (behind >= 0x800000u) { code(ONP); return; } /* a gap: bytes the node never got */
    if (behind < count) { /* bytes before the node's position were passed on already (a request sent again) */
        io->to_node(io->ctx, data + behind, count - behind);
        in_pos = (in_pos + (uint32_t)(count - behind)) & 0xFFFFFFu;
    }
    code(OK);
}

static int password_matches(const uint8_t *field)
{
    uint8_t diff = 0;
    for (size_t i = 0; i < PASSWORD_LEN; i++) {
        uint8_t expected = i < cfg->password_len ? cfg->password[i] : (uint8_t)' ';
        diff |= (uint8_t)(expected ^ field[i]);
    }
    return diff == 0 && cfg->password_len <= PASSWORD_LEN;
}

static uint8_t baud_code(uint32_t baud)
{
    static const uint32_t rates[] = { 0, 300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 28800, 57600 };
    for (uint8_t i = 1; i < sizeof rates / sizeof rates[0]; i++)
        if (rates[i] == baud) return i;
    return 0;
}

static void handle(const uint8_t *r, size_t n)
{
    uint8_t service = r[0];
    if (service == 0x20) { /* Identification */
        if (n != 1) code(ERR);
        else if (state != BASE) code(ISSS);
        else {
            static const uint8_t ident[] = { OK, 0x00, 0x02, 0x00, 0x00 };
            memcpy(resp, ident, sizeof ident);
            resp_len = sizeof ident;
            state = IDENTIFIED;
        }
    } else if (service == 0x21) { /* Terminate */
        code(OK);
        end_after = 1;
        end_session();
        next_packet_size = 0;
    } else if (service >= 0x60 && service <= 0x6B) { /* Negotiate */
        size_t rates = (size_t)(service - 0x60);
        if (n != 4 + rates) code(ERR);
        else if (state != IDENTIFIED) code(ISSS);
        else {
            size_t asked = get16(&r[1]);
            int nbr = r[3];
            if (asked < OVERHEAD + 1 || nbr < 1) { code(ERR); return; }
            size_t size = asked < OPT_PSEM_PACKET_MAX ? asked : OPT_PSEM_PACKET_MAX;
            int count = nbr < OPT_PSEM_PACKETS ? nbr : OPT_PSEM_PACKETS;
            /* This core cannot switch the UART: it stays at its rate and says which that is. */
            resp[0] = OK;
            resp[1] = (uint8_t)(size >> 8);
            resp[2] = (uint8_t)size;
            resp[3] = (uint8_t)count;
            resp[4] = baud_code(cfg->baud_rate);
            resp_len = 5;
            next_packet_size = size;
            next_packets = count;
        }
    } else if (service == 0x50) { /* Logon */
        if (n != 13) code(ERR);
        else if (state != IDENTIFIED) code(ISSS);
        else {
            state = SESSION;
            cleared = cfg->password == NULL || cfg->password_len == 0;
            in_pos = out_base = 0;
            memset(node_out, 0, node_out_count);
            node_out_count = 0;
            code(OK);
        }
    } else if (service == 0x51) { /* Security */
        if (n != 1 + PASSWORD_LEN) code(ERR);
        else if (state != SESSION) code(ISSS);
        else if (cfg->password && cfg->password_len && !password_matches(&r[1])) code(ERR);
        else {
            cleared = 1;
            code(OK);
        }
    } else if (service == 0x52) { /* Logoff */
        if (state != SESSION) code(ISSS);
        else {
            state = IDENTIFIED;
            cleared = 0;
            code(OK);
        }
    } else if (service == 0x70) { /* Wait */
        if (n != 2) code(ERR);
        else if (state == BASE) code(ISSS);
        else {
            uint32_t wait = (uint32_t)r[1] * 1000u;
            channel_ms = wait > CHANNEL_TRAFFIC_MS ? wait : CHANNEL_TRAFFIC_MS;
            code(OK);
        }
    } else if (service == 0x30 || service == 0x3F) {
        if (state != SESSION) code(ISSS);
        else handle_read(r, n);
    } else if (service == 0x40 || service == 0x4F) {
        if (state != SESSION) code(ISSS);
        else if (!cleared) code(ISC);
        else handle_write(r, n);
    } else code(SNS);
}

static void message_received(uint32_t now)
{
    last_request = now;
    if (sending) { /* the station gave up on our last answer and asks anew */
        sending = 0;
        apply_after_response();
    }
    channel_ms = CHANNEL_TRAFFIC_MS; /* a Wait in this request sets it longer */
    handle(msg, msg_len);
    memset(msg, 0, msg_len);
    msg_len = 0;
    respond(now);
}

static void drop_assembly(void)
{
    memset(msg, 0, msg_len);
    msg_len = 0;
    expect_seq = -1;
}

static void packet_received(uint32_t now)
{
    uint8_t ctl = rx[2], seq = rx[3];
    size_t n = (size_t)rx[4] << 8 | rx[5];
    uint16_t crc = (uint16_t)(rx[HEADER + n] | rx[HEADER + n + 1] << 8);
    send_byte(ACK);
    uint8_t t = (uint8_t)(ctl & CTL_TOGGLE);
    if (have_last && t == last_toggle && crc == last_crc) return; /* our ACK was lost: acknowledged again, not taken twice */
    have_last = 1;
    last_toggle = t;
    last_crc = crc;
    if (!(ctl & CTL_MULTI)) {
        drop_assembly();
        memcpy(msg, &rx[HEADER], n);
        msg_len = n;
        message_received(now);
        return;
    }
    if (ctl & CTL_FIRST) {
        drop_assembly();
        expect_seq = seq;
    } else if (expect_seq < 0 || seq != expect_seq) {
        drop_assembly(); /* out of order: the station's timers send the message again */
        return;
    }
    if (msg_len + n > sizeof msg) {
        drop_assembly();
        return;
    }
    memcpy(&msg[msg_len], &rx[HEADER], n);
    msg_len += n;
    if (seq == 0) {
        expect_seq = -1;
        message_received(now);
    } else expect_seq = seq - 1;
}

static void clear_rx(void)
{
    memset(rx, 0, rx_count);
    rx_count = 0;
}

static void ack_received(uint32_t now)
{
    if (!sending) return;
    if (++resp_index < resp_packets) {
        build_packet(now);
        return;
    }
    sending = 0;
    memset(resp, 0, resp_len);
    apply_after_response();
}

static void retry(uint32_t now)
{
    if (tries >= RETRIES) {
        sending = 0; /* the station asks again if it needs the answer */
        memset(resp, 0, resp_len);
        apply_after_response();
        log_text("a response packet was not acknowledged after 4 tries");
        return;
    }
    tries++;
    transmit(now);
}

static void psem_init(const struct host_wrapper_io *the_io, const struct host_wrapper_config *config, uint32_t now_ms)
{
    io = the_io;
    cfg = config;
    clear_rx();
    drop_assembly();
    have_last = 0;
    sending = 0;
    toggle = 0;
    next_packet_size = 0;
    end_after = 0;
    end_session();
    memset(node_out, 0, sizeof node_out);
    node_out_count = 0;
    host_out_full = 0;
    in_pos = out_base = 0;
    last_request = now_ms;
}

static void psem_from_line(const uint8_t *data, size_t len, uint32_t now)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b = data[i];
        if (rx_count > 0 && now - rx_last > INTER_CHARACTER_MS) { /* the rest never came */
            clear_rx();
            send_byte(NAK);
        }
        rx_last = now;
        if (rx_count == 0) {
            if (b == ACK) ack_received(now);
            else if (b == NAK) { if (sending) retry(now); }
            else if (b == STP) rx[rx_count++] = b;
            continue; /* anything else between packets is noise */
        }
        rx[rx_count++] = b;
        if (rx_count < HEADER) continue;
        size_t n = (size_t)rx[4] << 8 | rx[5];
        if (n + OVERHEAD > packet_size && n + OVERHEAD > 64) { /* a length this side never agreed to */
            clear_rx();
            send_byte(NAK);
            continue;
        }
        if (rx_count < n + OVERHEAD) continue;
        uint16_t crc = (uint16_t)(rx[HEADER + n] | rx[HEADER + n + 1] << 8);
        if (crc16(rx, HEADER + n) == crc) packet_received(now);
        else send_byte(NAK);
        clear_rx();
    }
}

static void psem_from_node(const uint8_t *data, size_t len, uint32_t now)
{
    (void)now;
    size_t room = sizeof node_out - node_out_count;
    if (len > room) {
        log_text("node bytes dropped: the buffer for the station is full");
        len = room;
    }
    memcpy(&node_out[node_out_count], data, len);
    node_out_count += len;
}

static int psem_send_host_message(const uint8_t *m, size_t len, uint32_t now)
{
    (void)now;
    if (host_out_full || len > sizeof host_out) return -1;
    memcpy(host_out, m, len);
    host_out_len = len;
    host_out_full = 1;
    return 0;
}

static uint32_t psem_poll(uint32_t now)
{
    uint32_t wait = HOST_WRAPPER_IDLE;
    if (rx_count > 0) {
        uint32_t since = now - rx_last;
        if (since > INTER_CHARACTER_MS) {
            clear_rx();
            send_byte(NAK);
        } else wait = INTER_CHARACTER_MS + 1 - since;
    }
    if (sending) {
        if ((int32_t)(now - ack_due) >= 0) retry(now);
        if (sending) {
            uint32_t due = (int32_t)(ack_due - now) > 0 ? ack_due - now : 1;
            if (due < wait) wait = due;
        }
    }
    if (state != BASE) {
        uint32_t quiet = now - last_request;
        if (quiet > channel_ms && !sending) {
            log_text("no request within the channel traffic timeout: back to the base state");
            end_session();
            have_last = 0;
            toggle = 0;
        } else {
            uint32_t due = quiet < channel_ms ? channel_ms - quiet + 1 : 1;
            if (due < wait) wait = due;
        }
    }
    return wait;
}

const struct host_wrapper host_wrapper_opt_psem = {
    "opt_psem", psem_init, psem_from_line, psem_from_node, psem_send_host_message, psem_poll,
};
