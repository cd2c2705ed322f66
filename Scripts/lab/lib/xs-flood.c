/*
 * xs-flood: a guest's own writes into its control/shutdown node, for the monitor's flood test.
 * Runs inside a lab guest (static, no libxenstore there) and speaks the xenstore wire
 * protocol through the guest kernel's /dev/xen/xenbus.
 *
 *   xs-flood PATH COUNT      write COUNT values to PATH (relative paths are under the guest's
 *                            home, /local/domain/ID), in turn junk, "poweroff" and "reboot";
 *                            print how many took
 *
 * Why it first quiets the guest's own kernel: drivers/xen/manage.c watches control/shutdown
 * whoever writes it. On "reboot" a kernel calls ctrl_alt_del(), which restarts at once while
 * /proc/sys/kernel/ctrl-alt-del is 1 and otherwise sends SIGINT to init, or (newer kernels)
 * orderly_reboot(), which runs /sbin/reboot; the lab guest (Debian 12's 6.1) restarted at once
 * with ctrl-alt-del at 0, so guest-init makes /sbin/reboot a no-op and ignores SIGINT before
 * it runs this. On "poweroff" the kernel runs poweroff_cmd, set here to /bin/true. Then one
 * "reboot" is written and the kernel's acknowledgement ("" written back) awaited; from then
 * on the guest runs on whatever the flood writes. Only the toolstack could act on a request
 * it reads there, and xk monitor only reports.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

static uint32_t next_id;

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

/* One request and its reply (at most 4096 bytes into reply); the reply's type, or -1. */
static int xs_call(int fd, uint32_t type, const char *body, size_t len, char *reply, size_t *reply_len) {
    struct xsd_sockmsg msg = { .type = type, .req_id = next_id++, .tx_id = 0, .len = (uint32_t)len };
    char packet[sizeof msg + 4096];
    if (len > 4096) return -1;
    memcpy(packet, &msg, sizeof msg);
    memcpy(packet + sizeof msg, body, len);
    struct xsd_sockmsg answer;
    if (full_write(fd, packet, sizeof msg + len) < 0 || full_read(fd, &answer, sizeof answer) < 0
        || answer.len > 4096 || full_read(fd, reply, answer.len) < 0) { perror("xenbus"); return -1; }
    *reply_len = answer.len;
    return (int)answer.type;
}

/* path NUL value, as XS_WRITE wants it; the reply's type (XS_WRITE when it took), or -1. */
static int xs_write_value(int fd, const char *path, const char *value) {
    char body[4096], reply[4096];
    size_t plen = strlen(path) + 1, vlen = strlen(value), rlen;
    if (plen + vlen > sizeof body) return -1;
    memcpy(body, path, plen);
    memcpy(body + plen, value, vlen);
    return xs_call(fd, XS_WRITE, body, plen + vlen, reply, &rlen);
}

static int write_proc(const char *path, const char *value) {
    FILE *file = fopen(path, "w");
    if (!file) { perror(path); return -1; }
    int bad = fputs(value, file) == EOF;
    if (fclose(file) != 0 || bad) { perror(path); return -1; }
    return 0;
}

/* See the top: make the kernel take one harmless reboot, after which it ignores the node. */
static int quiet_kernel(int fd, const char *path) {
    if (write_proc("/proc/sys/kernel/ctrl-alt-del", "0\n") < 0
        || write_proc("/proc/sys/kernel/poweroff_cmd", "/bin/true\n") < 0) return -1;
    if (xs_write_value(fd, path, "reboot") != XS_WRITE) return -1;
    for (int i = 0; i < 200; i++) {
        char reply[4096];
        size_t rlen;
        if (xs_call(fd, XS_READ, path, strlen(path) + 1, reply, &rlen) == XS_READ && rlen == 0) return 0;
        usleep(50000);
    }
    return -1;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: xs-flood PATH COUNT\n"); return 2; }
    int fd = open("/dev/xen/xenbus", O_RDWR);
    if (fd < 0) { perror("/dev/xen/xenbus"); return 1; }
    if (quiet_kernel(fd, argv[1]) < 0) {
        printf("XENKIT-GUEST-FLOOD cannot make the kernel ignore %s: nothing written\n", argv[1]);
        return 1;
    }
    long count = atol(argv[2]), ok = 0, requests = 0;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    printf("XENKIT-GUEST-FLOOD-START\n");
    fflush(stdout);
    for (long i = 0; i < count; i++) {
        /* junk is neither a request nor printable all the way */
        char junk[300];
        snprintf(junk, sizeof junk, "junk-%ld-\x1b[2J-%0200ld", i, i);
        const char *value = i % 3 == 1 ? "poweroff" : i % 3 == 2 ? "reboot" : junk;
        int type = xs_write_value(fd, argv[1], value);
        if (type < 0) break;
        if (type == XS_WRITE) { ok++; requests += value != junk; }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("XENKIT-GUEST-FLOOD written=%ld of %ld requests=%ld in %.1f s\n", ok, count, requests,
           (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9);
    return ok == count ? 0 : 1;
}
