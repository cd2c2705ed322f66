/*
 * The one header through which XenKit sees Xen's C libraries (Xen 4.17, Debian's libxen-dev).
 *
 * Why a shim: libxl's headers need settings before they are included (the API version we
 * program against, and the yajl 2 switch for libxl_json.h), and a few things Swift cannot
 * import directly (a logger struct with room for our context) are declared here.
 * Everything defined here is prefixed `cxen_`.
 */
#ifndef CXEN_SHIM_H
#define CXEN_SHIM_H

/* > "Applications should define LIBXL_API_VERSION before including libxl.h" (libxl.h).
 * 0x041400 is the newest API level libxl 4.17 accepts. */
#define LIBXL_API_VERSION 0x041400
/* > libxl_json.h needs HAVE_YAJL_YAJL_VERSION_H to pick the yajl 2 API. */
#define HAVE_YAJL_YAJL_VERSION_H 1

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <xentoollog.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <libxl_json.h>
#include <libxlutil.h>
#include <xenstore.h>
/* zstd (Debian's libzstd, which libxenguest already links), for the compressed stream between
 * two xk ends of a migration (Internals/Zstd.swift). */
#include <zstd.h>

/*
 * A xentoollog logger whose messages go back to Swift. xentoollog loggers are
 * "subclassed" by embedding `xentoollog_logger` first and appending private data
 * (see XTL_NEW_LOGGER in xentoollog.h); this is that layout with a sink and its context.
 * The vmessage entry formats the va_list here, because Swift cannot take a va_list in a
 * C function pointer; the sink gets the finished message. Messages below `minimum_level`
 * are dropped before they are formatted: libxl and the save helper log hundreds of debug
 * lines per operation, and formatting each one and handing it to Swift costs time.
 */
#include <stdio.h>

typedef void (*cxen_log_sink)(void *context, int level, int errnoval,
                              const char *log_context, const char *message);

/* Progress reports (libxc's "Frames iteration 2 of 5", relayed by libxl from its save
 * helper): what is being done, and how far, in units of `total`. */
typedef void (*cxen_progress_sink)(void *context, const char *doing_what, int percent,
                                   unsigned long done, unsigned long total);

typedef struct cxen_logger {
    xentoollog_logger base;
    cxen_log_sink sink;
    cxen_progress_sink progress_sink;
    void *context;
    int minimum_level;
} cxen_logger;

static inline void cxen_logger_progress(xentoollog_logger *logger, const char *log_context,
                                        const char *doing_what, int percent,
                                        unsigned long done, unsigned long total) {
    cxen_logger *self = (cxen_logger *)logger;
    (void)log_context;
    if (self->progress_sink)
        self->progress_sink(self->context, doing_what, percent, done, total);
}

static inline void cxen_logger_vmessage(xentoollog_logger *logger, xentoollog_level level,
                                        int errnoval, const char *log_context,
                                        const char *format, va_list arguments) {
    cxen_logger *self = (cxen_logger *)logger;
    if ((int)level < self->minimum_level)
        return;
    char message[2048];
    vsnprintf(message, sizeof message, format, arguments);
    if (self->sink)
        self->sink(self->context, (int)level, errnoval, log_context, message);
}

/* Fills in `logger`; the ctx never destroys its logger, so `destroy` stays NULL. */
static inline void cxen_logger_init(cxen_logger *logger, cxen_log_sink sink,
                                    cxen_progress_sink progress_sink, void *context,
                                    int minimum_level) {
    logger->base.vmessage = cxen_logger_vmessage;
    logger->base.progress = cxen_logger_progress;
    logger->base.destroy = NULL;
    logger->sink = sink;
    logger->progress_sink = progress_sink;
    logger->context = context;
    logger->minimum_level = minimum_level;
}

static inline xentoollog_logger *cxen_logger_as_xtl(cxen_logger *logger) {
    return &logger->base;
}

/*
 * Every process libxl starts (the device model, hotplug scripts, the bootloader, the save
 * helper) begins with no signal blocked, as it would under xl. A signal mask survives fork
 * and exec, and a thread starts with the mask of the thread that made it: xk's threads for
 * libxl work, made from Swift's concurrency pool (libdispatch's workers block every signal),
 * would hand a blocked SIGHUP to the device model, and libxl stops a device model with
 * SIGHUP, so it outlived its domain (seen in the lab under the host service). libxl calls
 * this instead of fork() ("fork_replacement", libxl_event.h); the child clears its mask at
 * once, before libxl's own code in the child runs.
 */
static inline pid_t cxen_fork_with_clean_signals(void *user) {
    (void)user;
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
    }
    return pid;
}

/*
 * SIGCHLD ownership. libxl forks helpers (hotplug scripts, the bootloader, the save helper)
 * and xk spawns processes of its own (the shutdown-action watcher), from a multithreaded
 * process. The default mode would let libxl reap every child, ours included; this mode
 * makes libxl reap only its own, and lets any number of contexts share the handler.
 * > "The value *hooks is not copied and must outlast the libxl_ctx" (libxl_event.h): static.
 */
static const libxl_childproc_hooks cxen_childproc_hooks = {
    .chldowner = libxl_sigchld_owner_libxl_always_selective_reap,
    .fork_replacement = cxen_fork_with_clean_signals,
};

static inline void cxen_childproc_setmode(libxl_ctx *ctx) {
    libxl_childproc_setmode(ctx, &cxen_childproc_hooks, NULL);
}

/*
 * splice(2), for the migration stream's relay (StreamRelay.swift): it moves the stream from
 * a pipe to the transport inside the kernel, without copying it through our memory. glibc
 * declares it only under _GNU_SOURCE, which the Glibc module is not built with; this names
 * the same symbol under our prefix.
 */
#include <sys/types.h>
extern ssize_t cxen_splice(int fd_in, long long *off_in, int fd_out, long long *off_out,
                           size_t len, unsigned int flags) __asm__("splice");
/* tee(2): copies what a pipe holds into another pipe without consuming it, so that the
 * migration receiver can check the libxl stream's header before libxl reads it. */
extern ssize_t cxen_tee(int fd_in, int fd_out, size_t len, unsigned int flags) __asm__("tee");
/* > "#define RANDOM_DOMID (INVALID_DOMID - 1)" (libxl.h): a macro of a macro Swift does not import.
 * libxl picks a random domain id for a config whose c_info.domid is this (xl.conf's
 * domid_policy="random"). */
static const uint32_t cxen_random_domid = RANDOM_DOMID;

#define CXEN_SPLICE_F_NONBLOCK 2u
#define CXEN_SPLICE_F_MOVE 1u
#define CXEN_SPLICE_F_MORE 4u

/*
 * Linux and glibc constants that Swift's Glibc module does not export without _GNU_SOURCE
 * (which the module is not built with), under our prefix: F_SETPIPE_SZ is
 * F_LINUX_SPECIFIC_BASE + 7 (linux/fcntl.h); POSIX_SPAWN_SETSID is glibc's spawn.h flag.
 */
#define CXEN_F_SETPIPE_SZ 1031
#define CXEN_POSIX_SPAWN_SETSID 0x80

/*
 * pidfd_open(2) (Linux 5.3): a descriptor that becomes readable when the process exits, so
 * that a timed wait for a child is a poll(), not a waitpid loop. glibc 2.36 has no wrapper.
 */
#include <unistd.h>
#include <sys/syscall.h>
static inline int cxen_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    return (int)syscall(434, pid, 0);
#endif
}

#endif /* CXEN_SHIM_H */
