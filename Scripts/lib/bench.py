#!/usr/bin/env python3
"""Side-by-side timings of xk and xl, run inside the lab's dom0 (a real Xen host).

Why interleaved: under QEMU/TCG the speed of the emulated host drifts (the other core's
load, page cache, xenstored's state). Running xl and xk alternately, round after round, in
the same boot, makes that drift fall on both equally, so the ratio of medians means something.

Each case is a pair of commands (the xl way, the xk way) that must both succeed. For each we
report the median and p90 wall time, the median peak RSS, and the xk/xl ratio of medians.
Later capabilities add their cases to CASES.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(argv):
    """Runs argv to completion; returns (seconds, peak RSS in KiB).

    The peak RSS comes from /usr/bin/time (GNU time), not from wait4 here: a child forked from
    this Python process starts with Python's own pages resident, and ru_maxrss keeps that peak
    across exec, so every command would seem to need at least what Python needs. time(1) is
    small, so its child's peak is the command's own. Both tools pay the same for the wrapper."""
    with tempfile.NamedTemporaryFile(mode="r") as rss:
        wrapped = ["/usr/bin/time", "-f", "%M", "-o", rss.name] + argv
        start = time.perf_counter()
        proc = subprocess.run(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            raise SystemExit(f"bench: {' '.join(argv)} failed with {proc.returncode}: {err}")
        return elapsed, int(rss.read().split()[-1])


def cases(xk):
    """(name, xl argv, xk argv, setup argv or None, teardown argv or None, lifecycle?).

    Setup and teardown run untimed around every timed command, with the same tool that is
    being measured for a lifecycle case (so each tool creates what it destroys)."""
    cfg = "DomainConfigs/lab-pv.cfg"
    return [
        ("list", ["xl", "list"], [xk, "list"], None, None),
        ("list --json", ["xl", "list"], [xk, "list", "--json"], None, None),
        ("info", ["xl", "info"], [xk, "info"], None, None),
        # create-to-running: the command returns once the domain is built and unpaused.
        ("create", ["xl", "create", "-q", cfg], [xk, "create", "-q", cfg],
         None, lambda tool: [tool, "destroy", "lab-pv"]),
        ("destroy", ["xl", "destroy", "lab-pv"], [xk, "destroy", "lab-pv"],
         lambda tool: [tool, "create", "-q", cfg], None),
    ]


def poll_until(argv, done, limit=120.0):
    """Runs argv every 20 ms until done(stdout) is true; returns when it is."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        out = subprocess.run(argv, capture_output=True, text=True).stdout
        if done(out):
            return
        time.sleep(0.02)
    raise SystemExit(f"bench: {' '.join(argv)} never showed the change")


def xl_list_column(out, column):
    """The value of xl list's column (2 = Mem, 3 = VCPUs) for the one domain listed."""
    rows = out.strip().splitlines()[1:]
    return int(rows[0].split()[column]) if rows else None


def resize_rounds(xk, rounds):
    """mem-set and vcpu-set on a running lab-pv guest, until the guest has acted.

    xk waits itself (--wait); xl has no wait, so its time runs until `xl list` shows the new
    value (polled every 20 ms), which is what an operator's script around xl has to do."""
    cfg = "DomainConfigs/lab-pv.cfg"
    subprocess.run(["xl", "destroy", "lab-pv"], stderr=subprocess.DEVNULL)
    run_once(["xl", "create", "-q", cfg])
    time.sleep(15)  # let the guest boot and start its balloon driver
    rows = []
    plans = [
        ("mem-set", lambda tool, v: [tool, "mem-set", "lab-pv", f"{v}m"], [96, 128], 2, 1),
        ("vcpu-set", lambda tool, v: [tool, "vcpu-set", "lab-pv", str(v)], [2, 1], 3, 0),
    ]
    for name, command, values, column, slack in plans:
        xl_times, xk_times = [], []
        for i in range(rounds * 2):
            value = values[i % 2]
            start = time.perf_counter()
            if i % 4 < 2:
                run_once(command("xl", value))
                poll_until(["xl", "list", "lab-pv"],
                           lambda out: abs((xl_list_column(out, column) or -99) - value) <= slack)
                xl_times.append(time.perf_counter() - start)
            else:
                wait = command(xk, value)
                wait.insert(2, "--wait")
                run_once(wait)
                xk_times.append(time.perf_counter() - start)
        rows.append({
            "case": name + " until done", "rounds": len(xk_times),
            "xl_median_ms": statistics.median(xl_times) * 1000,
            "xk_median_ms": statistics.median(xk_times) * 1000,
            "xl_p90_ms": percentile(xl_times, 0.9) * 1000, "xk_p90_ms": percentile(xk_times, 0.9) * 1000,
            "xl_rss_kib": 0, "xk_rss_kib": 0,
        })
        rows[-1]["ratio"] = rows[-1]["xk_median_ms"] / rows[-1]["xl_median_ms"]
    subprocess.run(["xl", "destroy", "lab-pv"], stderr=subprocess.DEVNULL)
    return rows


def pause_rounds(xk, rounds):
    """pause and unpause of a running lab-pv guest, xl and xk in turn (each tool undoes its
    own pause, untimed, before the next round)."""
    cfg = "DomainConfigs/lab-pv.cfg"
    subprocess.run(["xl", "destroy", "lab-pv"], stderr=subprocess.DEVNULL)
    run_once(["xl", "create", "-q", cfg])
    times = {("xl", "pause"): [], ("xk", "pause"): [], ("xl", "unpause"): [], ("xk", "unpause"): []}
    run_once(["xl", "pause", "lab-pv"])   # warm both
    run_once([xk, "unpause", "lab-pv"])
    for _ in range(rounds):
        for tool, binary in (("xl", "xl"), ("xk", xk)):
            for verb in ("pause", "unpause"):
                t, _ = run_once([binary, verb, "lab-pv"])
                times[(tool, verb)].append(t)
    subprocess.run(["xl", "destroy", "lab-pv"], stderr=subprocess.DEVNULL)
    rows = []
    for verb in ("pause", "unpause"):
        xl_t, xk_t = times[("xl", verb)], times[("xk", verb)]
        rows.append({"case": verb, "rounds": rounds,
                     "xl_median_ms": statistics.median(xl_t) * 1000, "xk_median_ms": statistics.median(xk_t) * 1000,
                     "xl_p90_ms": percentile(xl_t, 0.9) * 1000, "xk_p90_ms": percentile(xk_t, 0.9) * 1000,
                     "xl_rss_kib": 0, "xk_rss_kib": 0})
        rows[-1]["ratio"] = rows[-1]["xk_median_ms"] / rows[-1]["xl_median_ms"]
    return rows


def instruction_counts(xk):
    """Instructions each short command runs, xl and xk, counted by callgrind in this dom0
    (repeatable, unlike times under TCG). pause and unpause act on a running lab-pv.

    Debian 12's valgrind does not know Xen 4.17's sysctl interface (version 0x15): under it
    both tools stop at their first sysctl hypercall with ENOSYS (`xl list` says "getting
    domain info list: Function not implemented"). So a count covers the start-up, up to and
    including libxl's context, the same for both; the mark '(start-up)' says where a command
    failed under valgrind, and `xk --version` runs whole."""
    cfg = "DomainConfigs/lab-pv.cfg"
    subprocess.run(["xl", "destroy", "lab-pv"], stderr=subprocess.DEVNULL)
    run_once(["xl", "create", "-q", cfg])
    pairs = [("list", ["xl", "list"], [xk, "list"]), ("info", ["xl", "info"], [xk, "info"]),
             ("pause", ["xl", "pause", "lab-pv"], [xk, "pause", "lab-pv"]),
             ("unpause", ["xl", "unpause", "lab-pv"], [xk, "unpause", "lab-pv"]),
             ("xk --version", None, [xk, "--version"])]
    counts = []
    for name, xl_argv, xk_argv in pairs:
        found = []
        for argv in (xl_argv, xk_argv):
            if argv is None:
                found.append(None)
                continue
            out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + argv,
                                 capture_output=True, text=True)
            total = [line.split()[-1] for line in out.stderr.splitlines() if "Collected :" in line]
            found.append((int(total[0]), out.returncode == 0) if total else None)
        counts.append((name, found[0], found[1]))
    subprocess.run(["xl", "destroy", "lab-pv"], stderr=subprocess.DEVNULL)
    return counts


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xk", required=True, help="the xk binary to measure")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--lifecycle-rounds", type=int, default=5,
                        help="rounds for create and destroy (each builds a real guest)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--move-only", action="store_true",
                        help="only save, restore and migrate (rounds: --lifecycle-rounds)")
    parser.add_argument("--short-only", action="store_true",
                        help="only the short commands (list, info, create, destroy, pause, unpause) and"
                             " their instruction counts")
    args = parser.parse_args()

    subprocess.run(["xl", "destroy", "lab-pv"], stderr=subprocess.DEVNULL)
    results = []
    for name, xl_argv, xk_argv, setup, teardown in ([] if args.move_only else cases(args.xk)):
        lifecycle = setup is not None or teardown is not None
        rounds = args.lifecycle_rounds if lifecycle else args.rounds

        def timed(argv, tool):
            if setup:
                run_once(setup(tool))
            t, r = run_once(argv)
            if teardown:
                run_once(teardown(tool))
            return t, r

        if not lifecycle:
            run_once(xl_argv)  # warm both: page cache, 9p, dynamic loader
            run_once(xk_argv)
        xl_times, xk_times, xl_rss, xk_rss = [], [], [], []
        for _ in range(rounds):
            t, r = timed(xl_argv, "xl")
            xl_times.append(t)
            xl_rss.append(r)
            t, r = timed(xk_argv, args.xk)
            xk_times.append(t)
            xk_rss.append(r)
        row = {
            "case": name,
            "rounds": rounds,
            "xl_median_ms": statistics.median(xl_times) * 1000,
            "xk_median_ms": statistics.median(xk_times) * 1000,
            "xl_p90_ms": percentile(xl_times, 0.9) * 1000,
            "xk_p90_ms": percentile(xk_times, 0.9) * 1000,
            "xl_rss_kib": statistics.median(xl_rss),
            "xk_rss_kib": statistics.median(xk_rss),
        }
        row["ratio"] = row["xk_median_ms"] / row["xl_median_ms"]
        results.append(row)
    if not args.move_only:
        results += pause_rounds(args.xk, args.rounds)
    if not args.move_only and not args.short_only:
        results += resize_rounds(args.xk, args.lifecycle_rounds)
    if not args.short_only:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import bench_move
        results += bench_move.save_restore_rounds(args.xk, args.lifecycle_rounds)
        results += bench_move.migrate_rounds(args.xk, args.lifecycle_rounds)
    counts = [] if args.move_only else instruction_counts(args.xk)

    print(f"{'case':<20} {'xl ms':>9} {'xk ms':>9} {'xk/xl':>6} {'xl p90':>8} {'xk p90':>8}"
          f" {'xl RSS KiB':>11} {'xk RSS KiB':>11}")
    for r in results:
        print(f"{r['case']:<20} {r['xl_median_ms']:9.1f} {r['xk_median_ms']:9.1f} {r['ratio']:6.2f}"
              f" {r['xl_p90_ms']:8.1f} {r['xk_p90_ms']:8.1f}"
              f" {r['xl_rss_kib']:11.0f} {r['xk_rss_kib']:11.0f}  {r.get('note', '')}")
    print(f"(medians of {args.rounds} interleaved rounds each, {args.lifecycle_rounds} for create, destroy,"
          " mem-set, vcpu-set, save and restore of DomainConfigs/lab-pv.cfg and migrate of lab-pvh.cfg, in one boot of the lab; xk/xl below 1 means xk"
          " is faster; 'until done' runs until the guest has acted: xk --wait, xl polled with xl list;"
          " RSS 0 = not measured)")
    if counts:
        print(f"{'instructions':<20} {'xl':>11} {'xk':>11} {'xk/xl':>6}   (callgrind, in this dom0;"
              " '(start-up)': the command stopped at valgrind's unknown Xen sysctl, see instruction_counts)")
        for name, xl_count, xk_count in counts:
            ratio = f"{xk_count[0] / xl_count[0]:6.2f}" if xl_count and xk_count else f"{'-':>6}"
            whole = all(c[1] for c in (xl_count, xk_count) if c)
            print(f"{name:<20} {xl_count[0] if xl_count else '-':>11} {xk_count[0] if xk_count else '-':>11}"
                  f" {ratio}{'' if whole else '  (start-up)'}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
