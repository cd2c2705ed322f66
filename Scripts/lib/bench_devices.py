#!/usr/bin/env python3
"""Device hot-plug timings of xk and xl, side by side in one boot of the lab (Scripts/bench devices).

One lab-pv guest runs throughout. Each round attaches a file-backed disk, then a network
interface on a dom0 bridge, with xl and xk in turn, and times two things: the command alone
(it returns once the backend is connected and the hotplug script has run) and the time until
the guest has the device (its init marks the new disk, or brings the interface up, and says so
on its console: Scripts/lab/lib/guest-init). The guest looks every 2 s, so the second figure
carries up to 2 s of that for both tools alike. The device is detached (untimed, by the same
tool) and gone from the guest before the next round.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_move import row, timed  # noqa: E402

NAME = "lab-pv"
CONSOLE = "/var/log/xen/console/guest-lab-pv.log"
IMAGE = "/dev/shm/xk-bench-disk.img"
BRIDGE = "xkbench0"
MAC = "00:16:3e:00:c8:21"


def console_count(text):
    try:
        with open(CONSOLE, errors="replace") as log:
            return log.read().count(text)
    except FileNotFoundError:
        return 0


def wait_for(text, before, limit=120.0):
    deadline = time.perf_counter() + limit
    while console_count(text) <= before:
        if time.perf_counter() > deadline:
            raise SystemExit(f"bench: the guest never printed {text!r}")
        time.sleep(0.02)


def setup():
    subprocess.run(["xl", "destroy", NAME], stderr=subprocess.DEVNULL)
    subprocess.run(["dd", "if=/dev/zero", f"of={IMAGE}", "bs=1M", "count=8", "status=none"], check=True)
    if not os.path.exists(f"/sys/class/net/{BRIDGE}"):
        subprocess.run(["ip", "link", "add", BRIDGE, "type", "bridge"], check=True)
        subprocess.run(["ip", "link", "set", BRIDGE, "up"], check=True)
    timed(["xl", "create", "-q", "DomainConfigs/lab-pv.cfg"])
    wait_for("XENKIT-GUEST uptime=", 0)


def device_rounds(xk, rounds):
    plans = [
        ("block-attach", lambda tool: [tool, "block-attach", NAME, f"{IMAGE},raw,xvdb,w"],
         lambda tool: [tool, "block-detach", NAME, "xvdb"], "XENKIT-GUEST-DISK xvdb", "XENKIT-GUEST-DISK-GONE xvdb"),
        ("network-attach", lambda tool: [tool, "network-attach", NAME, f"bridge={BRIDGE}", f"mac={MAC}"],
         lambda tool: [tool, "network-detach", NAME, MAC], f"mac={MAC}", "XENKIT-GUEST-NET-GONE"),
    ]
    rows = []
    for case, attach, detach, seen, gone in plans:
        command = {"xl": [], "xk": []}
        visible = {"xl": [], "xk": []}
        for _ in range(rounds):
            for tool, argv0 in (("xl", "xl"), ("xk", xk)):
                before = console_count(seen)
                start = time.perf_counter()
                command[tool].append(timed(attach(argv0)))
                wait_for(seen, before)
                visible[tool].append(time.perf_counter() - start)
                before = console_count(gone)
                timed(detach(argv0))
                wait_for(gone, before)
        rows.append(row(case, command["xl"], command["xk"], "command returns"))
        rows.append(row(case + " seen", visible["xl"], visible["xk"], "until the guest has it"))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xk", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup()
    try:
        rows = device_rounds(args.xk, args.rounds)
    finally:
        subprocess.run(["xl", "destroy", NAME], stderr=subprocess.DEVNULL)
    print(f"{'case':<22} {'xl ms':>9} {'xk ms':>9} {'xk/xl':>6} {'xl max':>8} {'xk max':>8}")
    for r in rows:
        print(f"{r['case']:<22} {r['xl_median_ms']:9.1f} {r['xk_median_ms']:9.1f} {r['ratio']:6.2f}"
              f" {r['xl_p90_ms']:8.1f} {r['xk_p90_ms']:8.1f}  {r['note']}")
    print(f"(medians of {args.rounds} interleaved rounds on a running lab-pv guest, in one boot of the lab;"
          " xk/xl below 1 means xk is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
