#!/usr/bin/env python3
"""HVM timings of xk and xl, side by side in one boot of the lab (Scripts/bench hvm).

The lab's HVM guest (DomainConfigs/lab-hvm.cfg) is slow to boot under TCG (its init runs a
minute or more after the create), so the guest is booted once and then saved, restored and
migrated over and over, xl and xk in turn. create-to-running is timed on its own: both tools
return once the device model runs and the domain is unpaused, and the domain is destroyed
(untimed) before the next round; it gets three times as many rounds as the rest, as it is
short and its median moves most from run to run (xl's own slowest rounds are 20 % over its
median). Each ratio comes with the range a bootstrap puts it in (bench_move.ratio_interval).
Downtime of a migration comes from bench_move's observer, which polls the hypervisor every
millisecond, outside both tools.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_move  # noqa: E402
from bench_move import domid, row, timed  # noqa: E402

CFG = "DomainConfigs/lab-hvm.cfg"
NAME = "lab-hvm"
CONSOLE = "/var/log/xen/console/guest-lab-hvm.log"


def ready_lines():
    try:
        with open(CONSOLE, errors="replace") as log:
            return log.read().count("XENKIT-GUEST-READY")
    except FileNotFoundError:
        return 0


def destroy():
    subprocess.run(["xl", "destroy", NAME], stderr=subprocess.DEVNULL)


def create_rounds(xk, rounds):
    times = {"xl": [], "xk": []}
    for _ in range(rounds):
        for tool, binary in (("xl", "xl"), ("xk", xk)):
            destroy()
            times[tool].append(timed([binary, "create", "-q", CFG]))
            destroy()
            time.sleep(1)
    return [row("create (lab-hvm)", times["xl"], times["xk"], "until the command returns: device model up, domain unpaused")]


def boot_guest():
    """Creates the guest with xl and waits for its init (PV drivers loaded: they answer the
    suspend request that save and migration send)."""
    destroy()
    before = ready_lines()
    start = time.perf_counter()
    timed(["xl", "create", "-q", CFG])
    while ready_lines() <= before:
        if time.perf_counter() - start > 400:
            raise SystemExit("bench: the HVM guest's init did not run within 400 s")
        time.sleep(1)
    print(f"bench: lab-hvm's init ran {time.perf_counter() - start:.0f} s after the create", flush=True)


def migrate_rounds(xk, rounds):
    return bench_move.local_migrations(xk, NAME, rounds, bench_move.DomainPoller(), settle=3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xk", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--create-rounds", type=int,
                        help="rounds of create (default: three times --rounds; a create round is short)")
    parser.add_argument("--create-only", action="store_true",
                        help="only create (no guest boot, save, restore or migration)")
    args = parser.parse_args()
    create_count = args.create_rounds or 3 * args.rounds
    results = create_rounds(args.xk, create_count)
    if not args.create_only:
        boot_guest()
        results += bench_move.save_restore_loop(args.xk, NAME, args.rounds, settle=2)
        results += migrate_rounds(args.xk, args.rounds)
    destroy()
    print(f"{'case':<20} {'xl ms':>9} {'xk ms':>9} {'xk/xl':>6} {'90% interval':>13} {'rounds':>6} {'xl max':>8} {'xk max':>8}")
    for r in results:
        interval = f"{r['ratio_low']:.2f}-{r['ratio_high']:.2f}"
        print(f"{r['case']:<20} {r['xl_median_ms']:9.1f} {r['xk_median_ms']:9.1f} {r['ratio']:6.2f} {interval:>13} {r['rounds']:6d}"
              f" {r['xl_p90_ms']:8.1f} {r['xk_p90_ms']:8.1f}  {r.get('note', '')}")
    print("(the interval: where the xk/xl ratio of medians falls in 90 % of 2,000 resamples of these rounds)")
    rounds = create_count if args.create_only else args.rounds
    print(f"(medians of {rounds} interleaved rounds each of DomainConfigs/lab-hvm.cfg, in one boot of the lab;"
          " xk/xl below 1 means xk is faster; 'max' is the slowest round)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
