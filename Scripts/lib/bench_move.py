"""Save, restore and live-migration timings of xk and xl, for Scripts/lib/bench.py.

Why a poller of our own: xl does not say how long a migrated domain was stopped, and xk's own
figure cannot be compared with nothing. So one observer, outside both tools, watches the
hypervisor's domain list every millisecond through libxenctrl: the downtime runs from the
moment the source domain is first seen shut down (suspended) to the moment a new domain is
first seen running unpaused. The same observer times xl and xk.
"""
import ctypes
import os
import random
import statistics
import subprocess
import threading
import time

XEN_DOMINF_shutdown = 1 << 2
XEN_DOMINF_paused = 1 << 3


class DomainPoller:
    """Reads (domid, flags) of every domain with xc_domain_getinfolist, one domain per call
    (so the C struct's size never matters: only its first 8 bytes are read)."""

    def __init__(self):
        self.xc = ctypes.CDLL("libxenctrl.so.4.17")
        self.xc.xc_interface_open.restype = ctypes.c_void_p
        self.xc.xc_domain_getinfolist.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint, ctypes.c_void_p]
        self.handle = self.xc.xc_interface_open(None, None, 0)
        if not self.handle:
            raise SystemExit("bench: cannot open libxenctrl")
        self.buffer = ctypes.create_string_buffer(4096)

    def domains(self):
        found, first = [], 0
        while True:
            n = self.xc.xc_domain_getinfolist(self.handle, first, 1, self.buffer)
            if n != 1:
                return found
            domid = int.from_bytes(self.buffer.raw[0:2], "little")
            flags = int.from_bytes(self.buffer.raw[4:8], "little")
            found.append((domid, flags))
            first = domid + 1


def downtime_during(poller, source, command, until="running"):
    """Runs command while watching: returns (wall seconds, downtime seconds or None, stdout).
    The downtime starts when the source is first seen shut down (suspended) and ends when a new
    domain is first seen running unpaused (until="running", one host) or when the source is
    gone (until="source gone", for a receiver on another host, which cannot be seen here)."""
    marks = {}
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            now = time.perf_counter()
            domains = poller.domains()
            flags = dict(domains).get(source)
            if flags is not None and flags & XEN_DOMINF_shutdown and "stopped" not in marks:
                marks["stopped"] = now
            if "stopped" in marks and "end" not in marks:
                if until == "source gone" and flags is None:
                    marks["end"] = now
                if until == "running" and any(domid not in (0, source) and not f & (XEN_DOMINF_paused | XEN_DOMINF_shutdown)
                                              for domid, f in domains):
                    marks["end"] = now
            time.sleep(0.001)

    thread = threading.Thread(target=watch)
    thread.start()
    start = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    time.sleep(0.2)
    stop.set()
    thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed: {proc.stderr.decode(errors='replace').strip()}")
    down = marks["end"] - marks["stopped"] if "stopped" in marks and "end" in marks else None
    return wall, down, proc.stdout.decode(errors="replace")


def domid(name):
    out = subprocess.run(["xl", "domid", name], capture_output=True, text=True)
    return int(out.stdout.strip()) if out.returncode == 0 else None


def timed(command):
    start = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed: {proc.stderr.decode(errors='replace').strip()}")
    return time.perf_counter() - start


def ratio_interval(xl_times, xk_times, resamples=2000, level=0.90):
    """The xk/xl ratio of medians, resampled (bootstrap): the range its middle `level` of
    resamples falls in. Rounds run in pairs, xl then xk, so paired rounds are resampled
    together (a slow stretch of the boot falls on both); lists of different lengths (downtimes
    the poller missed) are resampled each on its own. A fixed seed: the same rounds give the
    same interval. It says how far the median's ratio may move with this many rounds: a goal
    is met only where the whole interval meets it."""
    rng = random.Random(17)
    paired = len(xl_times) == len(xk_times)
    ratios = []
    for _ in range(resamples):
        if paired:
            picks = [rng.randrange(len(xl_times)) for _ in xl_times]
            xl_pick, xk_pick = [xl_times[i] for i in picks], [xk_times[i] for i in picks]
        else:
            xl_pick = [rng.choice(xl_times) for _ in xl_times]
            xk_pick = [rng.choice(xk_times) for _ in xk_times]
        ratios.append(statistics.median(xk_pick) / statistics.median(xl_pick))
    ratios.sort()
    cut = int(resamples * (1 - level) / 2)
    return ratios[cut], ratios[resamples - 1 - cut]


def row(case, xl_times, xk_times, extra=""):
    r = {"case": case, "rounds": len(xk_times),
         "xl_median_ms": statistics.median(xl_times) * 1000, "xk_median_ms": statistics.median(xk_times) * 1000,
         "xl_p90_ms": max(xl_times) * 1000, "xk_p90_ms": max(xk_times) * 1000, "xl_rss_kib": 0, "xk_rss_kib": 0,
         "note": extra}
    r["ratio"] = r["xk_median_ms"] / r["xl_median_ms"]
    r["ratio_low"], r["ratio_high"] = ratio_interval(xl_times, xk_times)
    return r


def save_restore_rounds(xk, rounds):
    """One lab-pv guest saved and restored over and over, by xl and xk in turn (-e: neither
    leaves a watcher behind). MB/s is the file's size over the time."""
    subprocess.run(["xl", "destroy", "lab-pv"], stderr=subprocess.DEVNULL)
    timed(["xl", "create", "-q", "DomainConfigs/lab-pv.cfg"])
    time.sleep(12)
    rows = save_restore_loop(xk, "lab-pv", rounds)
    subprocess.run(["xl", "destroy", "lab-pv"], stderr=subprocess.DEVNULL)
    return rows


def save_restore_loop(xk, name, rounds, settle=0):
    """Saves and restores the running guest `name`, xl and xk in turn, `settle` seconds apart;
    rows for save and restore, with the file's MiB/s."""
    folder = "/var/lib/xen/save"
    os.makedirs(folder, exist_ok=True)
    times = {("xl", "save"): [], ("xk", "save"): [], ("xl", "restore"): [], ("xk", "restore"): []}
    sizes = []
    for _ in range(rounds):
        for tool, binary in (("xl", "xl"), ("xk", xk)):
            path = f"{folder}/bench-{name}-{tool}.save"
            times[(tool, "save")].append(timed([binary, "save", name, path]))
            sizes.append(os.path.getsize(path))
            times[(tool, "restore")].append(timed([binary, "restore", "-e", path]))
            os.unlink(path)
            time.sleep(settle)
    mib = statistics.median(sizes) / 1048576
    rows = []
    for op in ("save", "restore"):
        xl_t, xk_t = times[("xl", op)], times[("xk", op)]
        note = f"{mib:.0f} MiB file: xl {mib / statistics.median(xl_t):.0f} MiB/s, xk {mib / statistics.median(xk_t):.0f} MiB/s"
        rows.append(row(f"{op} ({name})", xl_t, xk_t, note))
    return rows


def local_migrations(xk, name, rounds, poller, settle):
    """`name` live-migrated to this same host through a pipe, again and again: xl to xl, xk to
    xk as it goes by default to this host (plain, xl's wire) and xk to xk compressed
    (--compress 1, as it goes by default to another host), in turn. Total time is the sender's
    wall time; downtime is the poller's."""
    bindir = os.path.dirname(xk)
    path = f"PATH={bindir}:{os.environ['PATH']}"
    commands = {
        "xl": ["xl", "migrate", "-s", "env", name, "X=1"],
        "xk": [xk, "migrate", "-e", "-s", "env", name, path],
        "xk zstd": [xk, "migrate", "-e", "--compress", "1", "-s", "env", name, path],
    }
    walls = {tool: [] for tool in commands}
    downs = {tool: [] for tool in commands}
    for _ in range(rounds):
        for tool, command in commands.items():
            wall, down, _ = downtime_during(poller, domid(name), command)
            walls[tool].append(wall)
            if down is not None:
                downs[tool].append(down)
            time.sleep(settle)
    rows = [row(f"migrate ({name})", walls["xl"], walls["xk"], "total, to the same host through a pipe"),
            row("  xk --compress 1", walls["xl"], walls["xk zstd"], "total, compressed as to another host"),
            row("  compressed/plain", walls["xk"], walls["xk zstd"], "xk against xk: what compression costs here")]
    if downs["xl"] and downs["xk"] and downs["xk zstd"]:
        caught = "/".join(str(len(downs[t])) for t in commands)
        rows.append(row("  downtime", downs["xl"], downs["xk"], f"seen by a 1 ms libxenctrl poller, {caught} rounds caught"))
        rows.append(row("  downtime, zstd", downs["xl"], downs["xk zstd"], "xk --compress 1"))
    return rows


def migrate_rounds(xk, rounds):
    """lab-pvh live-migrated to this same host through a pipe (local_migrations)."""
    subprocess.run(["xl", "destroy", "lab-pvh"], stderr=subprocess.DEVNULL)
    timed(["xl", "create", "-q", "DomainConfigs/lab-pvh.cfg"])
    time.sleep(15)
    rows = local_migrations(xk, "lab-pvh", rounds, DomainPoller(), settle=2)
    subprocess.run(["xl", "destroy", "lab-pvh"], stderr=subprocess.DEVNULL)
    return rows
