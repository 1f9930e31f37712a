/*
 * The host side of the orw transport wrapper (docs/node-protocol.md, "orw"), after the guide's Appendix B.2.2 host
 * pseudo-code (FOOBAR_*): a host platform that shares the serial line to the provisioning station with its own
 * traffic. Messages on the line: [length lo][length hi][0x47 or host type][message][checksum], where length counts
 * every byte and the checksum is the sum of the bytes before it, modulo 256.
 *
 * Where the guide's code would write past foobar_rxBuf (a message longer than the buffer) or stall on a length that
 * can never complete, this one drops one byte and reads the length again from the next, so a message too long for the
 * buffer is lost unanswered, as on such a host, and the line recovers.
 *
 * Implements struct host_wrapper (../host_wrapper.h) as host_wrapper_orw. C99, no allocation, no OS calls.
 * ORW_HOST_BUFFER sets the receive buffer (default 512, the guide's foobar_rxBuf[512]); the station's
 * -MaxMessageSize must not exceed it.
 */
#include "../host_wrapper.h"

#include <string.h>

#ifndef ORW_HOST_BUFFER
#define ORW_HOST_BUFFER 512
#endif
#if ORW_HOST_BUFFER < 16 || ORW_HOST_BUFFER > 65535
#error "ORW_HOST_BUFFER must be 16 to 65535 bytes"
#endif

#define ORW_NODE_MARKER 0x47
#define ORW_NODE_SYNC 0xA5
#define ORW_NODE_OVERHEAD 9 /* node frame: sync, type, seq, length (2), CRC-32 (4) */

static const struct host_wrapper_io *orw_io;
static uint16_t foobar_rxBufLen;
static uint8_t foobar_rxBuf[ORW_HOST_BUFFER];
static uint8_t foobar_txBuf[ORW_HOST_BUFFER];
/* The node's answers arrive as a byte stream of node frames: each whole frame goes to the station as one message. */
static uint8_t orw_node_rx[ORW_HOST_BUFFER];
static size_t orw_node_rx_len;

static uint8_t FOOBAR_Checksum(const uint8_t *msgPtr, uint16_t msgLen)
{
    uint8_t checksum = 0;
    for (uint16_t i = 0; i < msgLen; i++) checksum = (uint8_t)(checksum + msgPtr[i]);
    return checksum;
}

/* Guide: FOOBAR_SendMsgToPc. Wraps one message for the station; one that does not fit the transmit buffer is dropped. */
static int FOOBAR_SendMsgToPc(uint8_t type, const uint8_t *msgPtr, size_t msgLen)
{
    size_t total = msgLen + 4;
    if (total > ORW_HOST_BUFFER) return -1;
    foobar_txBuf[0] = (uint8_t)(total & 0xFF);
    foobar_txBuf[1] = (uint8_t)(total >> 8);
    foobar_txBuf[2] = type;
    memcpy(&foobar_txBuf[3], msgPtr, msgLen);
    foobar_txBuf[total - 1] = FOOBAR_Checksum(foobar_txBuf, (uint16_t)(total - 1));
    orw_io->to_line(orw_io->ctx, foobar_txBuf, total);
    return 0;
}

static void drop_front(uint16_t n)
{
    memmove(foobar_rxBuf, &foobar_rxBuf[n], (size_t)(foobar_rxBufLen - n));
    memset(&foobar_rxBuf[foobar_rxBufLen - n], 0, n); /* messages can carry keys: nothing stays behind */
    foobar_rxBufLen = (uint16_t)(foobar_rxBufLen - n);
}

static void orw_init(const struct host_wrapper_io *io, const struct host_wrapper_config *config, uint32_t now_ms)
{
    (void)config;
    (void)now_ms;
    orw_io = io;
    foobar_rxBufLen = 0;
    orw_node_rx_len = 0;
}

/* Guide: FOOBAR_ProcessRxData, receiving into foobar_rxBuf. */
static void orw_from_line(const uint8_t *dataPtr, size_t dataLen, uint32_t now_ms)
{
    (void)now_ms;
    while (dataLen > 0) {
        size_t room = (size_t)(ORW_HOST_BUFFER - foobar_rxBufLen);
        size_t n = dataLen < room ? dataLen : room;
        memcpy(&foobar_rxBuf[foobar_rxBufLen], dataPtr, n);
        foobar_rxBufLen = (uint16_t)(foobar_rxBufLen + n);
        dataPtr += n;
        dataLen -= n;

        while (foobar_rxBufLen > 2) {
            uint16_t msgLen = (uint16_t)(foobar_rxBuf[0] + 256 * foobar_rxBuf[1]);
            if (msgLen < 4 || msgLen > ORW_HOST_BUFFER) { drop_front(1); continue; } /* cannot be, or cannot fit */
            if (foobar_rxBufLen < msgLen) break;                                   /* wait for the rest */
            if (foobar_rxBuf[msgLen - 1] != FOOBAR_Checksum(foobar_rxBuf, (uint16_t)(msgLen - 1))) { drop_front(1); continue; }
            if (foobar_rxBuf[2] == ORW_NODE_MARKER) orw_io->to_node(orw_io->ctx, &foobar_rxBuf[3], (size_t)(msgLen - 4));
            else if (orw_io->host_message) orw_io->host_message(orw_io->ctx, &foobar_rxBuf[2], (size_t)(msgLen - 3));
            drop_front(msgLen); /* remove the message from the receive buffer */
        }
    }
}

static void orw_from_node(const uint8_t *p, size_t n, uint32_t now_ms)
{
    (void)now_ms;
    while (n > 0) {
        size_t room = sizeof orw_node_rx - orw_node_rx_len;
        size_t take = n < room ? n : room;
        memcpy(&orw_node_rx[orw_node_rx_len], p, take);
        orw_node_rx_len += take;
        p += take;
        n -= take;
        for (;;) {
            size_t at = 0;
            while (at < orw_node_rx_len && orw_node_rx[at] != ORW_NODE_SYNC) at++;
            memmove(orw_node_rx, &orw_node_rx[at], orw_node_rx_len - at);
            orw_node_rx_len -= at;
            if (orw_node_rx_len < 5) break;
            size_t frame = (size_t)(orw_node_rx[3] | orw_node_rx[4] << 8) + ORW_NODE_OVERHEAD;
            if (frame + 4 > ORW_HOST_BUFFER) { /* longer than any message this host sends: not a frame start */
                memmove(orw_node_rx, &orw_node_rx[1], --orw_node_rx_len);
                continue;
            }
            if (orw_node_rx_len < frame) break;
            FOOBAR_SendMsgToPc(ORW_NODE_MARKER, orw_node_rx, frame);
            memmove(orw_node_rx, &orw_node_rx[frame], orw_node_rx_len - frame);
            orw_node_rx_len -= frame;
        }
    }
}

/* A host message's first byte is its type (anything but 0x47), as on the line. */
static int orw_send_host_message(const uint8_t *msg, size_t len, uint32_t now_ms)
{
    (void)now_ms;
    if (len < 1 || msg[0] == ORW_NODE_MARKER) return -1;
    return FOOBAR_SendMsgToPc(msg[0], msg + 1, len - 1);
}

static uint32_t orw_poll(uint32_t now_ms)
{
    (void)now_ms;
    return HOST_WRAPPER_IDLE; /* orw has no timers */
}

const struct host_wrapper host_wrapper_orw = {
    "orw", orw_init, orw_from_line, orw_from_node, orw_send_host_message, orw_poll,
};
