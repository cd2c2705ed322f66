// What following one domain costs the host service, and how many domains its open-file limit
// lets it follow (review finding 15).
//
// Why each followed domain keeps a libxl context of its own, and so costs 16 descriptors,
// rather than all watchers sharing one: libxl 4.17 lets several threads wait in
// libxl_event_wait on one context, but an event one thread queues for another wakes only the
// pollers on `ctx->pollers_event` (libxl_event.c, libxl__event_occurred), and no code ever puts
// a poller on that list (it is initialised in libxl.c and asserted empty at libxl_ctx_free; the
// comment in libxl_internal.h above struct libxl__poller describes it, the code does not do
// it). A watcher that unlocked the ctx and is about to poll can so sleep on its own domain's
// shutdown event, queued by another watcher that drained the shared xenstore watch pipe,
// until some unrelated domain changes. That is a lost reboot. Sharing safely needs one event
// thread per context that dispatches by domid (and DomainWatcher's no-predicate wait and
// drainEvents would take the other domains' events): a redesign left for later. So the
// service keeps a context per domain, runs with a high limit (LimitNOFILE in xenkit.service,
// and the soft limit raised to the hard one at start), and adopts no more domains than the
// limit holds, saying so, instead of failing libxl_ctx_alloc with EMFILE at every rescan.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How many domains the host service can follow within its open-file limit.
public struct WatchBudget: Sendable, Equatable {
    /// Descriptors one followed domain holds while its watcher waits, read from Xen 4.17's
    /// sources (RELEASE-4.17.5; a hypervisor is needed to count them live):
    ///
    /// - libxl_ctx_alloc (tools/libs/light/libxl.c): the application poller's wakeup pipe, 2
    ///   (libxl__poller_get -> libxl__poller_init -> libxl__pipe_nonblock);
    ///   xc_interface_open (tools/libs/ctrl/xc_private.c): xencall's /dev/xen/privcmd and
    ///   /dev/xen/hypercall, 2 (tools/libs/call/linux.c), xenforeignmemory's privcmd, 1,
    ///   xendevicemodel's own xencall, 2, and its privcmd, 1 (tools/libs/devicemodel/core.c,
    ///   common.c; it closes that privcmd again on a kernel without IOCTL_PRIVCMD_DM_OP);
    ///   xs_open, the xenstored socket or /dev/xen/xenbus, 1 (tools/libs/store/xs.c). 9 in all.
    /// - libxl_childproc_setmode with selective reaping, which XenContext sets at once: the
    ///   SIGCHLD self-pipe, 2 (libxl_fork.c, libxl__sigchld_needed).
    /// - libxl_evenable_domain_death: a xenstore watch on @releaseDomain, whose xs_fileno
    ///   creates the handle's watch pipe, 2 (xs.c), and xs_watch starts a reader thread.
    /// - libxl_event_wait: a poller of its own with its wakeup pipe, 2 (libxl_event.c).
    /// - the domain's lock file in /run/xenkit/watch (WatchLock.swift), 1.
    ///
    /// 9 + 2 + 2 + 2 + 1 = 16 on a dom0 kernel that has /dev/xen/hypercall; 14 without it.
    /// Transient ones (xenevtchn for a suspend, a synchronous operation's poller, userdata
    /// lock files) come and go during actions: see ``reserve``.
    public static let descriptorsPerDomain = 16

    /// Threads one followed domain holds: its watcher's, and libxenstore's reader thread that
    /// xs_watch starts for the context's xenstore handle.
    public static let threadsPerDomain = 2

    /// Descriptors kept back for the service itself (its own context, xenstore watch, wake
    /// pipe, lock, standard streams, the runtime's) and for actions under way: a restart
    /// opens a bootloader's ptys, hotplug scripts' pipes, the device model's QMP socket and
    /// more for a while.
    public static let reserve = 256

    /// The service's open-file limit (the soft RLIMIT_NOFILE).
    public let descriptorLimit: Int

    public init(descriptorLimit: Int) {
        self.descriptorLimit = descriptorLimit
    }

    /// How many domains fit.
    public var capacity: Int {
        max(0, (descriptorLimit - Self.reserve) / Self.descriptorsPerDomain)
    }

    /// Descriptors `domains` followed domains and the reserve take.
    public static func descriptors(following domains: Int) -> Int {
        reserve + domains * descriptorsPerDomain
    }
}

/// The process's limit on open descriptors (RLIMIT_NOFILE).
public enum OpenFileLimit {
    /// The most the kernel lets a soft limit be by default (fs.nr_open); an infinite hard
    /// limit is not a valid soft limit for RLIMIT_NOFILE.
    static let kernelCeiling = 1 << 20

    /// The soft limit the service asks for: its hard limit, within the kernel's ceiling, and
    /// never less than it has.
    static func target(soft: Int, hard: Int) -> Int {
        max(soft, min(hard, kernelCeiling))
    }

    /// The current soft limit.
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Self.clamp(limit.rlim_cur)
    }

    /// Raises the soft limit to the hard one and returns the limit in force.
    ///
    /// Why it is safe: the select(2) calls left in libxl 4.17 (libxl_exec.c's
    /// libxl__xenstore_child_wait_deprecated, libxl_qmp.c's qmp_next) would overflow their
    /// fd_set on a descriptor above 1023, but they serve only qemu-traditional device models,
    /// COLO and Remus; the actions the service takes (destroy, preserve, core dump, soft reset,
    /// create with upstream QEMU) poll(2).
    ///
    /// - Throws: ``XenError`` when the limit cannot be read or raised.
    public static func raiseToHardLimit() throws(XenError) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw XenError(code: .operationFailed, message: "cannot read the open-file limit (RLIMIT_NOFILE)", errno: errno)
        }
        let soft = clamp(limit.rlim_cur), hard = clamp(limit.rlim_max)
        let wanted = target(soft: soft, hard: hard)
        guard wanted > soft else { return soft }
        limit.rlim_cur = rlim_t(wanted)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw XenError(code: .operationFailed,
                           message: "cannot raise the open-file limit from \(soft) to \(wanted)", errno: errno)
        }
        return wanted
    }

    private static func clamp(_ value: rlim_t) -> Int {
        value > rlim_t(Int.max) ? Int.max : Int(value)   // RLIM_INFINITY is all ones
    }
}
