#!/usr/bin/env python3
"""Runs a command under a pseudo-terminal for SECONDS, then kills it and prints what it wrote.

Usage: ptyrun.py [--until TEXT] SECONDS COMMAND [ARG...]. With --until, it stops as soon as the
output holds TEXT (SECONDS is then the most it waits: a guest slowed by a loaded host prints
late). The lab tests use it for `xk console` and `xl console`, which need a terminal as a
person would have."""
import os, pty, select, sys, time, signal
args = sys.argv[1:]
until = None
if args[:1] == ["--until"]:
    until = args[1].encode(); args = args[2:]
seconds = float(args[0]); argv = args[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""; end = time.time() + seconds
while time.time() < end and not (until and until in out):
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try: out += os.read(fd, 4096)
        except OSError: break
os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
