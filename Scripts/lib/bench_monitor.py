#!/usr/bin/env python3
"""xk monitor against polling `xl list` every second, in the lab's dom0 (issue 6's bench).

With GUESTS small PV guests running, one `xk monitor --json` and one loop that runs `xl list`
every second (what an operator's script does without an event stream) watch the same host
while the bench pauses, unpauses and balloons the guests. For each action we take the time
the command returned, then
  - the monitor's latency: the timestamp of its first matching event, minus that time;
  - the poller's latency: the end of the first `xl list` run that shows the change, minus
    that time.
Both clocks are dom0's wall clock. Then, with nothing happening, each watcher's CPU time over
the same QUIET seconds: the monitor's from /proc, the poller's from its children's rusage.
Prints medians and p99 per action kind, and the CPU percentages side by side.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time

CFG = "DomainConfigs/lab-pv.cfg"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class MonitorReader:
    """Runs xk monitor --json and keeps its events with the time each line was read."""

    def __init__(self, xk):
        self.proc = subprocess.Popen([xk, "monitor", "--json"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        ready = self.proc.stderr.readline()
        if "following" not in ready:
            raise SystemExit(f"bench: xk monitor did not start: {ready}")
        self.events = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.events.append(event)

    def first(self, kind, name, since):
        with self.lock:
            for event in self.events:
                if event["event"] == kind and event["name"] == name and event["time_s"] >= since:
                    return event["time_s"]
        return None

    def cpu_seconds(self):
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class ListPoller:
    """Runs `xl list` every `interval` seconds and keeps (finish time, {name: (mem, state)})."""

    def __init__(self, interval=1.0):
        self.interval = interval
        self.samples = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        next_run = time.time()
        while self.running:
            out = subprocess.run(["xl", "list"], capture_output=True, text=True).stdout
            rows = {}
            for line in out.splitlines()[1:]:
                f = line.split()
                if len(f) >= 6:
                    rows[" ".join(f[:-5])] = (int(f[-4]), f[-2])
            with self.lock:
                self.samples.append((time.time(), rows))
            next_run += self.interval
            time.sleep(max(0, next_run - time.time()))

    def first(self, name, predicate, since):
        with self.lock:
            for when, rows in self.samples:
                if when >= since and name in rows and predicate(rows[name]):
                    return when
        return None

    def stop(self):
        self.running = False
        self.thread.join()


def wait_for(get, limit=15.0):
    deadline = time.time() + limit
    while time.time() < deadline:
        value = get()
        if value is not None:
            return value
        time.sleep(0.05)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xk", required=True)
    parser.add_argument("--guests", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="pause/unpause/balloon rounds over all guests")
    parser.add_argument("--quiet", type=float, default=60, help="seconds of CPU measurement")
    args = parser.parse_args()

    names = [f"bench-{i}" for i in range(1, args.guests + 1)]
    for name in names:
        subprocess.run(["xl", "destroy", name], stderr=subprocess.DEVNULL)
    started = time.time()
    for name in names:
        if subprocess.run(["xl", "create", "-q", CFG, f'name="{name}"']).returncode != 0:
            # Seen once under TCG: libxc could not decompress the kernel. Say what dom0 had
            # free, and try once more.
            print(subprocess.run(["free", "-m"], capture_output=True, text=True).stdout, flush=True)
            subprocess.run(["xl", "create", "-q", CFG, f'name="{name}"'], check=True)
    print(f"bench: {len(names)} guests created in {time.time() - started:.0f} s", flush=True)
    time.sleep(20)  # let them boot and settle
    out = subprocess.run(["xl", "list"], capture_output=True, text=True).stdout
    broken = [line for line in out.splitlines()[1:] if line.split()[0] in names and "s" in line.split()[-2]]
    if broken:
        raise SystemExit("bench: guests shut down before the bench began:\n" + "\n".join(broken))

    monitor = MonitorReader(args.xk)
    poller = ListPoller(1.0)
    time.sleep(2)
    latencies = {}

    def act(kind, argv, name, event, predicate):
        start = time.time()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        done = time.time()
        seen_event = wait_for(lambda: monitor.first(event, name, start))
        seen_poll = wait_for(lambda: poller.first(name, predicate, done))
        row = latencies.setdefault(kind, {"xk monitor": [], "xl list 1 s": []})
        if seen_event is not None:
            row["xk monitor"].append(max(0.0, seen_event - done))
        if seen_poll is not None:
            row["xl list 1 s"].append(seen_poll - done)

    for _ in range(args.rounds):
        for name in names:
            act("pause", ["xl", "pause", name], name, "paused", lambda r: "p" in r[1])
            act("unpause", ["xl", "unpause", name], name, "unpaused", lambda r: "p" not in r[1])
            act("balloon 128->112 MiB", ["xl", "mem-set", name, "112m"], name, "memory-target-reached", lambda r: r[0] == 112)
            act("balloon 112->128 MiB", ["xl", "mem-set", name, "128m"], name, "memory-target-reached", lambda r: r[0] == 128)

    # CPU with nothing happening: the monitor's own, and the poller's children (xl list).
    monitor_before = monitor.cpu_seconds()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    time.sleep(args.quiet)
    monitor_cpu = monitor.cpu_seconds() - monitor_before
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    poller_cpu = (children_after.ru_utime - children_before.ru_utime) + (children_after.ru_stime - children_before.ru_stime)
    poller.stop()
    monitor.stop()
    for name in names:
        subprocess.run(["xl", "destroy", name], stderr=subprocess.DEVNULL)

    print(f"{'action':<22} {'watcher':<12} {'n':>3} {'median ms':>10} {'p99 ms':>9}")
    for kind, rows in latencies.items():
        for watcher, values in rows.items():
            if values:
                print(f"{kind:<22} {watcher:<12} {len(values):>3} {statistics.median(values) * 1000:10.0f}"
                      f" {percentile(values, 0.99) * 1000:9.0f}")
            else:
                print(f"{kind:<22} {watcher:<12}   0  (never seen)")
    print(f"CPU over {args.quiet:.0f} s quiet with {len(names)} guests (+ dom0): xk monitor {monitor_cpu:.2f} s"
          f" ({monitor_cpu / args.quiet * 100:.2f}%), xl list every 1 s {poller_cpu:.2f} s"
          f" ({poller_cpu / args.quiet * 100:.2f}%)")
    print("(latency from the action's command returning to the watcher showing it; dom0 wall clock;"
          " one lab boot under TCG)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
