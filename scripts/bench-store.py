"""Fills a store with N generated exams (200 of them one patient's, over 200 days) and times the
store's answers: abi exams list (all N), abi exams list --patient, abi history of that patient.

Each command is run seven times; the best and the median wall time are printed.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

from benchexams import make_store

abi, count, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = os.path.join(folder, f"store-{count}", "abi.sqlite")
env = dict(os.environ, ABI_DB=store, ABI_OPERATOR="bench")

make_store(abi, count, store, env)
print(f"store: {store}, {os.path.getsize(store) / 1e6:.1f} MB")


def timed(arguments):
    """Wall time of the command with its output going to /dev/null (abi's own time, not the
    reader's), seven runs; then one more run to count its lines."""
    times = []
    for _ in range(7):
        start = time.perf_counter()
        done = subprocess.run([abi] + arguments, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"abi {' '.join(arguments)} exited {done.returncode}: {done.stderr.decode()}")
    lines = subprocess.run([abi] + arguments, env=env, stdout=subprocess.PIPE).stdout.count(b"\n")
    return min(times), statistics.median(times), lines


for arguments in (["exams", "list"], ["exams", "list", "--patient", "HIST-0001"], ["history", "HIST-0001"]):
    best, median, lines = timed(arguments)
    print(f"abi {' '.join(arguments):38} best {best * 1000:6.1f} ms, median {median * 1000:6.1f} ms ({lines} lines; target < 100 ms)")

# The capture loop while it waits for the operator: CPU time over 10 s (target < 1% of a core).
idle_store = os.path.join(folder, "store-idle", "abi.sqlite")
shutil.rmtree(os.path.dirname(idle_store), ignore_errors=True)
capture = subprocess.Popen([abi, "capture", "--patient", "IDLE-1", "--db", idle_store], stdin=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1)


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


before = cpu_seconds(capture.pid)
time.sleep(10)
used = cpu_seconds(capture.pid) - before
capture.stdin.write(b"quit\n")
capture.stdin.close()
capture.wait(timeout=10)
print(f"abi capture waiting for the operator: {used * 1000:.0f} ms of CPU in 10 s = {used / 10 * 100:.2f}% of a core (target < 1%)")
