#!/usr/bin/env python3
"""Two-host live migration, xl against xk (plain and compressed), on host a of the lab pair.

Run by Scripts/lab/lib/pair-bench (Scripts/bench pair). Each guest is created here, then sent
to the peer over ssh with xl, with xk on xl's plain wire (--no-compress) and with xk
compressed (zstd level 1, xk's default between xk ends), in turn, ROUNDS times; the peer sends
it back after each arrival (not timed). The time is the sender's wall time. The downtime is
seen from here by bench_move's 1 ms libxenctrl poller: from the source domain first seen
suspended to the source domain gone, which both tools do only once the receiver has reported
that its copy runs (the peer's clock is not ours, so its side cannot be timed from here).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_move  # noqa: E402
from bench_move import domid  # noqa: E402

MODES = ("xl", "xk plain", "xk zstd-1")


def command(mode, xk, guest, peer):
    if mode == "xl":
        return ["xl", "migrate", guest, peer]
    plain = ["--no-compress"] if mode == "xk plain" else []
    return [xk, "migrate", "--json", "-e"] + plain + [guest, peer]


def timed_migration(poller, source, argv):
    """(wall s, downtime s or None, xk's JSON or None)"""
    wall, down, out = bench_move.downtime_during(poller, source, argv, until="source gone")
    return wall, down, json.loads(out) if argv[0] != "xl" else None


def runs_here(guest):
    out = subprocess.run(["xl", "list", guest], capture_output=True, text=True)
    if out.returncode != 0 or len(out.stdout.splitlines()) < 2:
        return False
    state = out.stdout.splitlines()[1].split()[4]
    return "p" not in state and "s" not in state


def wait_until(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise SystemExit(f"bench: {what} within {seconds} s")


def printed(guest):
    try:
        with open(f"/var/log/xen/console/guest-{guest}.log", errors="replace") as log:
            return log.read().count("XENKIT-GUEST uptime") >= 3
    except FileNotFoundError:
        return False


def bench_guest(xk, guest, peer, rounds, poller):
    subprocess.run([xk, "create", "-q", f"DomainConfigs/{guest}.cfg"], check=True)
    wait_until(lambda: printed(guest), 600, f"{guest} did not come up")
    results = {mode: {"wall": [], "down": [], "bytes": [], "wire": []} for mode in MODES}
    for round_ in range(rounds):
        for mode in MODES:
            source = domid(guest)
            wall, down, report = timed_migration(poller, source, command(mode, xk, guest, peer))
            r = results[mode]
            r["wall"].append(wall)
            if down is not None:
                r["down"].append(down)
            if report:
                r["bytes"].append(report["bytes"])
                r["wire"].append(report["wire_bytes"])
            shown = f"{down * 1000:.0f} ms" if down is not None else "not seen"
            print(f"bench: {guest} round {round_ + 1} {mode}: {wall:.1f} s, downtime {shown}"
                  + (f", {report['bytes'] / 1048576:.0f} MiB as {report['wire_bytes'] / 1048576:.0f} MiB" if report else ""),
                  flush=True)
            wait_until(lambda: runs_here(guest), 1200, f"{guest} did not come back from the peer")
            time.sleep(3)
    subprocess.run(["xl", "destroy", guest])
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xk", required=True)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("guests", nargs="+")
    args = parser.parse_args()
    poller = bench_move.DomainPoller()
    table = []
    for guest in args.guests:
        results = bench_guest(args.xk, guest, args.peer, args.rounds, poller)
        xl_wall = statistics.median(results["xl"]["wall"])
        xl_down = statistics.median(results["xl"]["down"]) if results["xl"]["down"] else None
        for mode in MODES:
            r = results[mode]
            wall = statistics.median(r["wall"])
            down = statistics.median(r["down"]) if r["down"] else None
            wire = f"{statistics.median(r['wire']) / 1048576:.0f} of {statistics.median(r['bytes']) / 1048576:.0f}" if r["wire"] else "-"
            table.append((guest, mode, wall, wall / xl_wall, down, (down / xl_down) if down and xl_down else None, wire))
    print(f"{'guest':<8} {'sender':<10} {'total s':>8} {'vs xl':>6} {'downtime ms':>12} {'vs xl':>6}  MiB on the wire")
    for guest, mode, wall, ratio, down, down_ratio, wire in table:
        down_text = f"{down * 1000:12.0f}" if down is not None else f"{'-':>12}"
        down_ratio_text = f"{down_ratio:6.2f}" if down_ratio is not None else f"{'-':>6}"
        print(f"{guest:<8} {mode:<10} {wall:8.1f} {ratio:6.2f} {down_text} {down_ratio_text}  {wire}")
    print(f"(medians of {args.rounds} interleaved rounds, host a to host b over ssh on the lab's link, in one"
          " boot of the pair; downtime from the source's suspension to its removal, seen on host a)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
