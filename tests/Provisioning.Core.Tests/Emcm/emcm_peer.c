/*
 * An eMCM written from docs/emcm-protocol.md alone (not from the simulator's code), as a device maker would start one:
 * orw framing (guide Appendix B, Figure 5) on a serial line, eMCM frames with their CRC-32 inside the host messages.
 * It answers GetInfo, ImageBegin/ImageChunk/ImageCommit (no resume: it starts every image at 0 and takes chunks of at
 * most 100 bytes), WriteKey, KeyCheck (a fixed check value AB CD EF), SetStage, CheckMeter (its meter never answers)
 * and refuses anything else as unknown. Node messages (marker 0x47) are ignored: there is no node behind it.
 *
 * Usage: emcm_peer <serial device>      (prints "peer ready" on stderr once the line is open)
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static int line;
static char firmware[33] = "0.9";
static char pending_version[33];
static uint32_t image_size, image_received;
static uint8_t image_target, has_key, stage;

/* Wraps one eMCM frame in orw and writes it: [len lo][len hi][frame][checksum]. */
static void send_frame(uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t n)
{
    uint8_t out[512];
    uint16_t len = (uint16_t)(n + 11 + 3);
    out[0] = (uint8_t)(len & 0xFF);
    out[1] = (uint8_t)(len >> 8);
    uint8_t *f = out + 2;
    f[0] = 0x45; f[1] = 0x4D; f[2] = 1; f[3] = type; f[4] = seq;
    f[5] = (uint8_t)(n & 0xFF); f[6] = (uint8_t)(n >> 8);
    memcpy(f + 7, payload, n);
    uint32_t c = crc32(f, (size_t)7 + n);
    for (int i = 0; i < 4; i++) f[7 + n + i] = (uint8_t)(c >> (8 * i));
    uint8_t sum = 0;
    for (uint16_t i = 0; i < len - 1; i++) sum = (uint8_t)(sum + out[i]);
    out[len - 1] = sum;
    if (write(line, out, len) != len) perror("write");
}

static uint16_t put_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p[0] = (uint8_t)n;
    memcpy(p + 1, s, n);
    return (uint16_t)(n + 1);
}

static uint16_t error_answer(uint8_t *a, uint8_t status, const char *text)
{
    a[0] = status;
    return (uint16_t)(1 + put_str(a + 1, text));
}

static uint32_t u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static void put_u32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }

static void handle(uint8_t type, uint8_t seq, const uint8_t *p, uint16_t n)
{
    uint8_t a[300];
    uint16_t m = 0;
    static const uint8_t id[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
    switch (type) {
    case 0x01: /* GetInfo */
        a[m++] = 0; a[m++] = 1;
        memcpy(a + m, id, 8); m += 8;
        m += put_str(a + m, "c-peer");
        m += put_str(a + m, firmware);
        memset(a + m, 0, 64); m += 64;
        a[m++] = 0;                                   /* active slot */
        a[m++] = (uint8_t)(0x04 | (has_key ? 0x01 : 0)); /* self-test passed, key held */
        a[m++] = has_key ? 0xAB : 0; a[m++] = has_key ? 0xCD : 0; a[m++] = has_key ? 0xEF : 0;
        a[m++] = stage;
        m += put_str(a + m, "");
        a[m++] = 100; a[m++] = 0;                     /* largest chunk 100 */
        break;
    case 0x02: /* ImageBegin: target, size, digest, version */
        if (n < 1 + 4 + 32 + 1 || n != 38 + p[37]) { m = error_answer(a, 0x01, "bad ImageBegin"); break; }
        image_target = p[0];
        image_size = u32(p + 1);
        image_received = 0;
        memcpy(pending_version, p + 38, p[37] < 32 ? p[37] : 32);
        pending_version[p[37] < 32 ? p[37] : 32] = 0;
        a[m++] = 0; put_u32(a + m, 0); m += 4; a[m++] = 100; a[m++] = 0;
        break;
    case 0x03: /* ImageChunk: target, offset, data */
        if (n < 5 || p[0] != image_target || u32(p + 1) != image_received || n - 5 > 100) { m = error_answer(a, 0x03, "chunk out of order"); break; }
        image_received += (uint32_t)(n - 5);
        a[m++] = 0; put_u32(a + m, image_received); m += 4;
        break;
    case 0x04: /* ImageCommit */
        if (image_received != image_size) { m = error_answer(a, 0x04, "image incomplete"); break; }
        if (image_target == 1) strcpy(firmware, pending_version);
        a[m++] = 0;
        break;
    case 0x06: /* WriteKey */
        if (n != 17 || p[0] != 16) { m = error_answer(a, 0x01, "a key is 16 bytes"); break; }
        has_key = 1;
        a[m++] = 0;
        break;
    case 0x07: /* KeyCheck */
        a[m++] = 0; a[m++] = has_key; a[m++] = 0xAB; a[m++] = 0xCD; a[m++] = 0xEF;
        break;
    case 0x09: /* SetStage */
        if (n != 1) { m = error_answer(a, 0x01, "one byte"); break; }
        stage = p[0];
        a[m++] = 0;
        break;
    case 0x0A: /* CheckMeter */
        m = error_answer(a, 0x06, "meter silent");
        break;
    default:
        m = error_answer(a, 0x02, "unknown request");
        break;
    }
    send_frame((uint8_t)(type | 0x80), seq, a, m);
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: emcm_peer <serial device>\n"); return 2; }
    crc_init();
    line = open(argv[1], O_RDWR | O_NOCTTY);
    if (line < 0) { perror(argv[1]); return 1; }
    struct termios t;
    if (tcgetattr(line, &t) == 0) { cfmakeraw(&t); cfsetspeed(&t, B115200); tcsetattr(line, TCSANOW, &t); }
    fprintf(stderr, "peer ready\n");
    uint8_t buf[1024];
    size_t have = 0;
    for (;;) {
        ssize_t r = read(line, buf + have, sizeof buf - have);
        if (r <= 0) return 0;
        have += (size_t)r;
        while (have >= 3) {
            uint16_t len = (uint16_t)(buf[0] | buf[1] << 8);
            if (len < 4 || len > 512) { memmove(buf, buf + 1, --have); continue; }
            if (have < len) break;
            uint8_t sum = 0;
            for (uint16_t i = 0; i < len - 1; i++) sum = (uint8_t)(sum + buf[i]);
            if (sum != buf[len - 1]) { memmove(buf, buf + 1, --have); continue; }
            const uint8_t *f = buf + 2;
            uint16_t flen = (uint16_t)(len - 3);
            if (buf[2] != 0x47 && flen >= 11 && f[0] == 0x45 && f[1] == 0x4D && f[2] == 1
                && (uint16_t)(f[5] | f[6] << 8) + 11 == flen && crc32(f, flen - 4u) == u32(f + flen - 4) && !(f[3] & 0x80))
                handle(f[3], f[4], f + 7, (uint16_t)(flen - 11));
            memmove(buf, buf + len, have - len);
            have -= len;
        }
    }
}
