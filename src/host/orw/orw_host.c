/*
 * The host side of the orw transport wrapper, after the guide's Appendix B.2.2 host pseudo-code (FOOBAR_*):
 * a host platform that shares the serial line to the provisioning station with its own traffic, receiving into a
 * 512-byte buffer. Messages on the line: [length lo][length hi][0x47 or host type][message][checksum], where length
 * counts every byte and the checksum is the sum of the bytes before it, modulo 256 (docs/node-protocol.md, "orw").
 *
 * Where the guide's code would write past foobar_rxBuf (a message longer than 512 bytes) or stall on a length that
 * can never complete, this one drops one byte and reads the length again from the next, so a message too long for the
 * buffer is lost unanswered, as on such a host, and the line recovers.
 *
 * Built as a relay for rehearsal and tests: the station's line on stdin/stdout (e.g. behind socat), the node on a TCP
 * connection (a node simulator with -Wrapper none):
 *     cc -std=c99 -O2 -o orw_host orw_host.c && socat TCP-LISTEN:4001,reuseaddr EXEC:"./orw_host 127.0.0.1 4002"
 * C99 plus POSIX sockets; no allocation.
 */
#define _POSIX_C_SOURCE 200112L
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define FOOBAR_BUF_LEN 512
#define NODE_MARKER 0x47

static uint16_t foobar_rxBufLen = 0;
static uint8_t foobar_rxBuf[FOOBAR_BUF_LEN];
static uint8_t foobar_txBuf[FOOBAR_BUF_LEN];
static int node_fd = -1;

static uint8_t FOOBAR_Checksum(const uint8_t *msgPtr, uint16_t msgLen)
{
    uint8_t checksum = 0;
    for (uint16_t i = 0; i < msgLen; i++) checksum += msgPtr[i];
    return checksum;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The node's side of the host (guide: UNIL_PT_SendMsg): hands a node message to the node. */
static void UNIL_PT_SendMsg(const uint8_t *msgPtr, uint16_t msgLen) { write_all(node_fd, msgPtr, msgLen); }

/* The host platform's own traffic: not for the node (this host has none to act on). */
static void HOST_PLATFORM_ProcessMsg(const uint8_t *msgPtr, uint16_t msgLen) { (void)msgPtr; (void)msgLen; }

/* Guide: FOOBAR_SendMsgToPc. Wraps one message for the station; one that does not fit the transmit buffer is dropped. */
static void FOOBAR_SendMsgToPc(int nodeMsg, const uint8_t *msgPtr, uint16_t msgLen)
{
    uint16_t total = (uint16_t)(msgLen + 4);
    if (total > FOOBAR_BUF_LEN || !nodeMsg) return;
    foobar_txBuf[0] = (uint8_t)(total & 0xFF);
    foobar_txBuf[1] = (uint8_t)(total >> 8);
    foobar_txBuf[2] = NODE_MARKER;
    memcpy(&foobar_txBuf[3], msgPtr, msgLen);
    foobar_txBuf[total - 1] = FOOBAR_Checksum(foobar_txBuf, (uint16_t)(total - 1));
    write_all(STDOUT_FILENO, foobar_txBuf, total);
}

static void drop_front(uint16_t n)
{
    memmove(foobar_rxBuf, &foobar_rxBuf[n], (size_t)(foobar_rxBufLen - n));
    foobar_rxBufLen = (uint16_t)(foobar_rxBufLen - n);
}

/* Guide: FOOBAR_ProcessRxData, receiving into foobar_rxBuf[512]. */
static void FOOBAR_ProcessRxData(const uint8_t *dataPtr, uint16_t dataLen)
{
    while (dataLen > 0) {
        uint16_t room = (uint16_t)(FOOBAR_BUF_LEN - foobar_rxBufLen);
        uint16_t n = dataLen < room ? dataLen : room;
        memcpy(&foobar_rxBuf[foobar_rxBufLen], dataPtr, n);
        foobar_rxBufLen = (uint16_t)(foobar_rxBufLen + n);
        dataPtr += n;
        dataLen = (uint16_t)(dataLen - n);

        while (foobar_rxBufLen > 2) {
            uint16_t msgLen = (uint16_t)(foobar_rxBuf[0] + 256 * foobar_rxBuf[1]);
            if (msgLen < 4 || msgLen > FOOBAR_BUF_LEN) { drop_front(1); continue; } /* cannot be, or cannot fit */
            if (foobar_rxBufLen < msgLen) break;                                   /* wait for the rest */
            if (foobar_rxBuf[msgLen - 1] != FOOBAR_Checksum(foobar_rxBuf, (uint16_t)(msgLen - 1))) { drop_front(1); continue; }
            if (foobar_rxBuf[2] == NODE_MARKER) UNIL_PT_SendMsg(&foobar_rxBuf[3], (uint16_t)(msgLen - 4));
            else HOST_PLATFORM_ProcessMsg(foobar_rxBuf, msgLen);
            /* Remove message from the receive buffer. */
            drop_front(msgLen);
        }
    }
}

/* The node's answers arrive as a byte stream of node frames (sync 0xA5, type, seq, u16 length, payload, CRC-32):
   each whole frame goes to the station as one orw message. */
static uint8_t node_rx[4 * FOOBAR_BUF_LEN];
static size_t node_rx_len = 0;

static void node_bytes(const uint8_t *p, size_t n)
{
    if (n > sizeof node_rx - node_rx_len) node_rx_len = 0; /* a frame longer than any answer: start over */
    memcpy(&node_rx[node_rx_len], p, n);
    node_rx_len += n;
    for (;;) {
        size_t at = 0;
        while (at < node_rx_len && node_rx[at] != 0xA5) at++;
        memmove(node_rx, &node_rx[at], node_rx_len - at);
        node_rx_len -= at;
        if (node_rx_len < 5) return;
        size_t frame = (size_t)(node_rx[3] | node_rx[4] << 8) + 9;
        if (frame > sizeof node_rx) { memmove(node_rx, &node_rx[1], --node_rx_len); continue; }
        if (node_rx_len < frame) return;
        FOOBAR_SendMsgToPc(1, node_rx, (uint16_t)frame);
        memmove(node_rx, &node_rx[frame], node_rx_len - frame);
        node_rx_len -= frame;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s <node host> <node port>  (the station's line on stdin/stdout)\n", argv[0]);
        return 2;
    }
    struct addrinfo hints = {0}, *found;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(argv[1], argv[2], &hints, &found) != 0) { fprintf(stderr, "cannot resolve %s\n", argv[1]); return 1; }
    node_fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
    if (node_fd < 0 || connect(node_fd, found->ai_addr, found->ai_addrlen) != 0) { perror("connect to the node"); return 1; }
    freeaddrinfo(found);

    uint8_t buf[256];
    for (;;) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(STDIN_FILENO, &fds);
        FD_SET(node_fd, &fds);
        if (select(node_fd + 1, &fds, NULL, NULL, NULL) < 0) return 1;
        if (FD_ISSET(STDIN_FILENO, &fds)) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n <= 0) return 0;
            FOOBAR_ProcessRxData(buf, (uint16_t)n);
        }
        if (FD_ISSET(node_fd, &fds)) {
            ssize_t n = read(node_fd, buf, sizeof buf);
            if (n <= 0) return 0;
            node_bytes(buf, (size_t)n);
        }
    }
}
