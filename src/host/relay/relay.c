/*
 * A host platform in a program: glues one wrapper core (src/host/<wrapper>/) between the station's serial line and a
 * node reached over TCP, for rehearsal and tests. The station's side is a serial device or pseudo-terminal (e.g. one
 * end of a socat pair), or stdin/stdout; the node is a simulator speaking the bare node protocol
 * (Start-ProvNodeSimulator -Wrapper none -Listen tcp://127.0.0.1:PORT).
 *
 * Build one relay per wrapper (see ../README.md):
 *     cc -std=c99 -O2 -DRELAY_WRAPPER=host_wrapper_reliable -o relay_reliable relay/relay.c reliable/reliable_host.c
 * Run:
 *     ./relay_reliable [-b baud] [-e bit_error_rate] [-s seed] [-v] LINE NODE_HOST NODE_PORT
 * -e flips bits at random on the line side, both directions (a noisy cable, for rehearsal); -v logs the core's debug
 * lines on stderr. Host-platform messages from the station are echoed back, so host traffic can be seen both ways.
 *
 * This file is the only one with OS calls (POSIX: termios, sockets, select, clock_gettime); the cores have none.
 */
#define _POSIX_C_SOURCE 200809L
#include "../host_wrapper.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef RELAY_WRAPPER
#define RELAY_WRAPPER host_wrapper_orw
#endif

static int line_in = -1, line_out = -1, node_fd = -1, verbose;
static uint32_t noise_threshold; /* chance per bit, scaled to 2^32; 0: a clean line */
static uint32_t noise_state = 2463534242u;

static uint32_t xorshift32(void)
{
    noise_state ^= noise_state << 13;
    noise_state ^= noise_state >> 17;
    noise_state ^= noise_state << 5;
    return noise_state;
}

static void add_noise(uint8_t *p, size_t n)
{
    if (noise_threshold == 0) return;
    for (size_t i = 0; i < n; i++)
        for (int bit = 0; bit < 8; bit++)
            if (xorshift32() < noise_threshold) p[i] ^= (uint8_t)(1u << bit);
}

static uint32_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)((uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { perror("relay: write"); exit(1); }
        p += w;
        n -= (size_t)w;
    }
}

static uint8_t noisy[8192];

static void to_line(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    while (len > 0) {
        size_t n = len < sizeof noisy ? len : sizeof noisy;
        memcpy(noisy, data, n);
        add_noise(noisy, n);
        write_all(line_out, noisy, n);
        data += n;
        len -= n;
    }
}

static void to_node(void *ctx, const uint8_t *data, size_t len) { (void)ctx; write_all(node_fd, data, len); }

static void host_message(void *ctx, const uint8_t *msg, size_t len)
{
    (void)ctx;
    if (RELAY_WRAPPER.send_host_message(msg, len, now_ms()) != 0 && verbose)
        fprintf(stderr, "relay: a host message of %zu bytes could not be echoed\n", len);
}

static void log_line(void *ctx, const char *text)
{
    (void)ctx;
    if (verbose) fprintf(stderr, "%s: %s\n", RELAY_WRAPPER.name, text);
}

static speed_t speed_of(long baud)
{
    switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    default: return B38400; /* faster rates have no POSIX name; a pseudo-terminal ignores the rate anyway */
    }
}

/* Raw 8N1, no echo, no flow control: the line carries binary frames. */
static int open_line(const char *path, long baud)
{
    int fd = open(path, O_RDWR | O_NOCTTY);
    if (fd < 0) return -1;
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        t.c_iflag &= (tcflag_t) ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
        t.c_oflag &= (tcflag_t) ~OPOST;
        t.c_lflag &= (tcflag_t) ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        t.c_cflag &= (tcflag_t) ~(CSIZE | PARENB | CSTOPB);
        t.c_cflag |= CS8 | CREAD | CLOCAL;
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        cfsetispeed(&t, speed_of(baud));
        cfsetospeed(&t, speed_of(baud));
        tcsetattr(fd, TCSANOW, &t);
    }
    return fd;
}

static int connect_node(const char *host, const char *port)
{
    struct addrinfo hints, *found;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &found) != 0) return -1;
    int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
    if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(found);
    return fd;
}

static void usage(const char *self)
{
    fprintf(stderr, "usage: %s [-b baud] [-e bit_error_rate] [-s seed] [-v] LINE|- NODE_HOST NODE_PORT\n"
                    "  relays the station's line (%s wrapper) to a node simulator speaking the bare node protocol\n",
            self, RELAY_WRAPPER.name);
    exit(2);
}

int main(int argc, char **argv)
{
    long baud = 115200;
    int arg = 1;
    for (; arg < argc && argv[arg][0] == '-' && argv[arg][1] != '\0'; arg++) {
        if (strcmp(argv[arg], "-v") == 0) verbose = 1;
        else if (arg + 1 < argc && strcmp(argv[arg], "-b") == 0) baud = strtol(argv[++arg], NULL, 10);
        else if (arg + 1 < argc && strcmp(argv[arg], "-e") == 0) {
            double rate = strtod(argv[++arg], NULL);
            if (rate < 0 || rate > 1) usage(argv[0]);
            noise_threshold = (uint32_t)(rate * 4294967295.0);
        } else if (arg + 1 < argc && strcmp(argv[arg], "-s") == 0) {
            noise_state = (uint32_t)strtoul(argv[++arg], NULL, 10);
            if (noise_state == 0) noise_state = 1;
        } else usage(argv[0]);
    }
    if (argc - arg != 3 || baud <= 0) usage(argv[0]);
    if (strcmp(argv[arg], "-") == 0) {
        line_in = STDIN_FILENO;
        line_out = STDOUT_FILENO;
    } else {
        line_in = line_out = open_line(argv[arg], baud);
        if (line_in < 0) { fprintf(stderr, "relay: cannot open %s: %s\n", argv[arg], strerror(errno)); return 1; }
    }
    node_fd = connect_node(argv[arg + 1], argv[arg + 2]);
    if (node_fd < 0) { fprintf(stderr, "relay: cannot connect to the node at %s:%s\n", argv[arg + 1], argv[arg + 2]); return 1; }

    static const struct host_wrapper_io io = { NULL, to_line, to_node, host_message, log_line };
    struct host_wrapper_config config;
    memset(&config, 0, sizeof config);
    config.baud_rate = (uint32_t)baud;
    const char *password = getenv("RELAY_PASSWORD"); /* for wrappers with link security; never on the command line */
    if (password) {
        config.password = (const uint8_t *)password;
        config.password_len = strlen(password);
    }
    RELAY_WRAPPER.init(&io, &config, now_ms());
    if (verbose) fprintf(stderr, "relay: %s host ready on %s, node at %s:%s\n", RELAY_WRAPPER.name, argv[arg], argv[arg + 1], argv[arg + 2]);

    uint8_t buf[4096];
    uint32_t wait = RELAY_WRAPPER.poll(now_ms());
    for (;;) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(line_in, &fds);
        FD_SET(node_fd, &fds);
        struct timeval tv, *timeout = NULL;
        if (wait != HOST_WRAPPER_IDLE) {
            tv.tv_sec = (time_t)(wait / 1000u);
            tv.tv_usec = (suseconds_t)((wait % 1000u) * 1000u);
            timeout = &tv;
        }
        int maxfd = line_in > node_fd ? line_in : node_fd;
        if (select(maxfd + 1, &fds, NULL, NULL, timeout) < 0) {
            if (errno == EINTR) continue;
            perror("relay: select");
            return 1;
        }
        if (FD_ISSET(line_in, &fds)) {
            ssize_t n = read(line_in, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return 0; /* the station's line closed */
            add_noise(buf, (size_t)n);
            RELAY_WRAPPER.from_line(buf, (size_t)n, now_ms());
        }
        if (FD_ISSET(node_fd, &fds)) {
            ssize_t n = read(node_fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return 0; /* the node went away */
            RELAY_WRAPPER.from_node(buf, (size_t)n, now_ms());
        }
        wait = RELAY_WRAPPER.poll(now_ms());
    }
}
