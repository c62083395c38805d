"""Generates N realistic exams as JSON Lines and times `abi calc --batch` over them.

Prints the wall time and peak resident memory of each run, and the best and median.
"""
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time

from benchexams import exam

abi, count, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
path = os.path.join(folder, f"exams-{count}.jsonl")

if not os.path.exists(path):
    rng = random.Random(2026)
    with open(path + ".tmp", "w") as f:
        for i in range(count):
            f.write(json.dumps(exam(rng, i), separators=(",", ":")) + "\n")
    os.replace(path + ".tmp", path)
size = os.path.getsize(path)
print(f"input: {count} exams, {size / 1e6:.1f} MB ({path})")

times, peaks = [], []
for run in range(5):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    with open(path, "rb") as src, open(os.devnull, "wb") as sink:
        status = subprocess.run([abi, "calc", "--batch", "-"], stdin=src, stdout=sink).returncode
    elapsed = time.perf_counter() - start
    # ru_maxrss of children is the largest of any child so far; the first run sets it.
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if status not in (0, 65):
        sys.exit(f"abi calc --batch exited {status}")
    times.append(elapsed)
    peaks.append(peak_kib)
    print(f"run {run + 1}: {elapsed:.3f} s, {count / elapsed:,.0f} exams/s, peak RSS {peak_kib / 1024:.1f} MiB")

print(f"best {min(times):.3f} s, median {statistics.median(times):.3f} s, peak RSS {max(peaks) / 1024:.1f} MiB"
      f" (target: < 1.5 s, < 150 MB)")
