/*
 * xs-flood: a guest's own writes into its xenstore area, for the monitor's flood test.
 * Runs inside a lab guest (static, no libxenstore there) and speaks the xenstore wire
 * protocol through the guest kernel's /dev/xen/xenbus.
 *
 *   xs-flood PATH COUNT      write COUNT different junk values to PATH (relative paths are
 *                            under the guest's home, /local/domain/ID); print how many took
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

static int full_write(int fd, const void *data, size_t len) {
    return write(fd, data, len) == (ssize_t)len ? 0 : -1;
}

static int full_read(int fd, void *data, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, (char *)data + done, len - done);
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: xs-flood PATH COUNT\n"); return 2; }
    int fd = open("/dev/xen/xenbus", O_RDWR);
    if (fd < 0) { perror("/dev/xen/xenbus"); return 1; }
    long count = atol(argv[2]), ok = 0;
    char body[4096], reply[4096];
    for (long i = 0; i < count; i++) {
        /* path NUL value: junk that is neither a request nor printable all the way */
        size_t plen = strlen(argv[1]) + 1;
        int vlen = snprintf(body + plen, sizeof body - plen, "junk-%ld-\x1b[2J-%0200ld", i, i);
        memcpy(body, argv[1], plen);
        struct xsd_sockmsg msg = { .type = XS_WRITE, .req_id = (uint32_t)i, .tx_id = 0,
                                   .len = (uint32_t)(plen + (size_t)vlen) };
        char packet[sizeof msg + sizeof body];
        memcpy(packet, &msg, sizeof msg);
        memcpy(packet + sizeof msg, body, msg.len);
        if (full_write(fd, packet, sizeof msg + msg.len) < 0) { perror("write"); break; }
        struct xsd_sockmsg answer;
        if (full_read(fd, &answer, sizeof answer) < 0 || answer.len > sizeof reply
            || full_read(fd, reply, answer.len) < 0) { perror("read"); break; }
        if (answer.type == XS_WRITE) ok++;
    }
    printf("XENKIT-GUEST-FLOOD written=%ld of %ld\n", ok, count);
    return ok == count ? 0 : 1;
}
