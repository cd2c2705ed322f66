#!/usr/bin/env python3
"""Runs a command under a pseudo-terminal for SECONDS, then kills it and prints what it wrote.

Usage: ptyrun.py SECONDS COMMAND [ARG...]. The lab tests use it for `xk console` and `xl console`,
which need a terminal as a person would have."""
import os, pty, select, sys, time, signal
seconds = float(sys.argv[1]); argv = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""; end = time.time() + seconds
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try: out += os.read(fd, 4096)
        except OSError: break
os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
