#!/usr/bin/env python3
"""Where the time of a create goes, xk beside xl (Scripts/bench create-phases).

Why: a create's time is mostly libxl's (for an HVM guest, the device model's start), and that
part moves 10 % and more from round to round, so end-to-end medians say little about the
tools' own work. Here one system-wide perf, outside both tools, stamps the same points of
both: uprobes on libxenlight's entry points that both call (libxl_ctx_alloc,
libxl_domain_create_new and its return, libxl_domain_unpause's return), the process's exec,
exit_group and exit (after the kernel has torn down its memory), and the harness's own spawn
and reap. For xk, uprobes on its own main and on XLConf.load split its part before libxl's
context. The segments between those points are compared median by median.

Needs root and perf with uprobes (the lab's dom0 has both).
"""
import argparse
import glob
import os
import re
import signal
import statistics
import subprocess
import sys
import time


def sh(*args):
    return subprocess.run(args, capture_output=True, text=True)


def libxenlight():
    paths = sorted(glob.glob("/usr/lib/x86_64-linux-gnu/libxenlight.so.4*"))
    if not paths:
        raise SystemExit("bench: no libxenlight here")
    return os.path.realpath(paths[-1])


def text_address(binary, symbol):
    """The file offset of `symbol`'s code, which perf probe takes for an address."""
    value = next((line.split()[0] for line in sh("nm", binary).stdout.splitlines() if line.endswith(" " + symbol)), None)
    if value is None:
        raise SystemExit(f"bench: {binary} has no symbol {symbol}")
    segments = sh("readelf", "-lW", binary).stdout
    for line in segments.splitlines():
        fields = line.split()
        if fields[:1] == ["LOAD"] and "E" in fields[6:8]:
            offset, vaddr = int(fields[1], 16), int(fields[2], 16)
            return int(value, 16) - vaddr + offset
    raise SystemExit(f"bench: no code segment in {binary}")


def add_probes(xk):
    lib = libxenlight()
    for function in ("libxl_ctx_alloc", "libxl_domain_create_new", "libxl_domain_unpause"):
        for spec in (function, function + "%return"):
            sh("perf", "probe", "-q", "-d", "probe_libxenlight:" + spec.replace("%return", "__return"))
            result = sh("perf", "probe", "-q", "-x", lib, "-a", spec)
            if result.returncode:
                raise SystemExit(f"bench: perf probe {spec}: {result.stderr.strip()}")
    for event, symbol in (("xk_main", "main"), ("xk_xlconf", "$s6XenKit6XLConfV4load4pathACSS_tAA0A5ErrorVYKFZ")):
        sh("perf", "probe", "-q", "-d", "probe_xk:" + event)
        result = sh("perf", "probe", "-q", "-x", xk, "-a", f"{event}=0x{text_address(xk, symbol):x}")
        if result.returncode:
            raise SystemExit(f"bench: perf probe {event}: {result.stderr.strip()}")


def segments(events, spawn, reaped, own_marks):
    """The named points of one run, in order; None where a point is missing."""
    def first(kind):
        return next((t for t, e in events if e == kind), None)

    def last(kind):
        found = [t for t, e in events if e == kind]
        return found[-1] if found else None

    points = [("spawn", spawn), ("exec", first("sched_process_exec"))]
    if own_marks:
        points += [("main", first("xk_main")), ("xl.conf", first("xk_xlconf"))]
    points += [("libxl ctx", first("libxl_ctx_alloc")), ("create", first("libxl_domain_create_new")),
               ("created", first("libxl_domain_create_new__return")), ("unpaused", last("libxl_domain_unpause__return")),
               ("exit_group", last("sys_enter_exit_group")), ("exited", last("sched_process_exit")), ("reaped", reaped)]
    return points


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xk", required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--config", default="DomainConfigs/lab-hvm.cfg")
    parser.add_argument("--name", default="lab-hvm")
    args = parser.parse_args()
    add_probes(args.xk)
    data = "/tmp/bench-phases.data"
    perf = subprocess.Popen(["perf", "record", "-a", "-q", "--no-buildid", "-k", "mono", "-o", data,
                             "-e", "probe_libxenlight:*", "-e", "probe_xk:*", "-e", "sched:sched_process_exec",
                             "-e", "sched:sched_process_exit", "-e", "syscalls:sys_enter_exit_group"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)
    runs = []
    try:
        for _ in range(args.rounds):
            for tool, binary in (("xl", "xl"), ("xk", args.xk)):
                sh("xl", "destroy", args.name)
                time.sleep(1)
                spawn = time.monotonic()   # perf -k mono: the same clock
                proc = subprocess.run([binary, "create", "-q", args.config], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True)
                reaped = time.monotonic()
                if proc.returncode:
                    raise SystemExit(f"bench: {tool} create failed: {proc.stderr.strip()}")
                runs.append((tool, spawn, reaped))
        sh("xl", "destroy", args.name)
        time.sleep(1)
    finally:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    events = {}
    for line in sh("perf", "script", "-i", data, "-F", "comm,pid,tid,time,event").stdout.splitlines():
        match = re.match(r"\s*(\S+)\s+(\d+)/(\d+)\s+([\d.]+):\s+(\S+):", line)
        if match:
            events.setdefault(int(match.group(2)), []).append((float(match.group(4)), match.group(5).split(":")[-1]))
    # Each run's process: the one whose exec falls between the harness's spawn and reap.
    execs = sorted((ev[0][0], pid) for pid, ev in events.items() if ev and ev[0][1] == "sched_process_exec")
    times = {}
    for tool, spawn, reaped in runs:
        pid = next((p for t, p in execs if spawn <= t <= reaped and any(e == "libxl_domain_create_new" for _, e in events[p])), None)
        points = segments(events.get(pid, []), spawn, reaped, tool == "xk")
        if pid is None or any(t is None for _, t in points):
            print(f"bench: a {tool} round is missing points: {[(n, t) for n, t in points if t is None]}", file=sys.stderr)
            continue
        for (a, ta), (b, tb) in zip(points, points[1:]):
            times.setdefault((tool, f"{a} -> {b}"), []).append((tb - ta) * 1000)
        times.setdefault((tool, "in all"), []).append((reaped - spawn) * 1000)
    # xk's segments in order, with xl's one segment before libxl's context above xk's three.
    order = list(dict.fromkeys(key for tool, key in times if tool == "xk"))
    order.insert(1, "exec -> libxl ctx")
    print(f"{'segment':<26} {'xl ms':>8} {'xk ms':>8}   ranges (xl; xk)")
    for key in order:
        cells, ranges = [], []
        for tool in ("xl", "xk"):
            values = times.get((tool, key))
            cells.append(f"{statistics.median(values):8.1f}" if values else f"{'':>8}")
            ranges.append(f"{min(values):.0f}-{max(values):.0f}" if values else "-")
        print(f"{key:<26} {cells[0]} {cells[1]}   {'; '.join(ranges)}")
    print(f"(medians of {args.rounds} interleaved rounds of `create -q {args.config}` in one boot of the lab;"
          " each tool's points from one system-wide perf: libxenlight uprobes, exec, exit_group, exit;"
          " xl's own work before libxl's context is one segment, xk's is split at its main and its xl.conf read)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
