"""Latency from a byte arriving on a pty to abi listen printing its record, and CPU while idle.

A pty plays a Doppler manometer; each line P=<n> is written, then the time until abi prints
the record for it is measured. 1,000 samples, spaced 5 ms apart.
"""
import os
import pty
import select
import statistics
import subprocess
import sys
import time
import tty

abi = sys.argv[1]
master, slave = pty.openpty()
tty.setraw(master)
name = os.ttyname(slave)
proc = subprocess.Popen([abi, "listen", "--port", name, "--profile", "doppler-manometer", "--timeout", "120"],
                        stdout=subprocess.PIPE)
out = proc.stdout.fileno()
pending = b""


def next_line(timeout=2.0):
    global pending
    deadline = time.perf_counter() + timeout
    while b"\n" not in pending:
        left = deadline - time.perf_counter()
        if left <= 0:
            raise SystemExit("no output from abi listen")
        if select.select([out], [], [], left)[0]:
            pending += os.read(out, 65536)
    line, pending = pending.split(b"\n", 1)
    return line


next_line(5)  # connected
samples = []
for i in range(1000):
    value = 20 + i % 280
    start = time.perf_counter()
    os.write(master, f"P={value}\r\n".encode())
    line = next_line()
    samples.append((time.perf_counter() - start) * 1000)
    assert f'"pressure":{value},'.encode() in line, line
    time.sleep(0.005)
samples.sort()
p50 = samples[len(samples) // 2]
p99 = samples[int(len(samples) * 0.99) - 1]
print(f"latency pty → printed record, 1000 samples: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {samples[-1]:.3f} ms (target: p99 < 2 ms)")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


idle = 10
before = cpu_seconds(proc.pid)
time.sleep(idle)
used = cpu_seconds(proc.pid) - before
print(f"idle port: {used:.3f} s CPU in {idle} s = {100 * used / idle:.2f}% (target: < 1%)")
proc.terminate()
proc.wait()
