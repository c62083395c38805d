"""Writes N exam files (the generator of bench.py) and times `abi report --all` over them.

For each format it prints the best and median of three runs in reports per second with the
reports written to a tmpfs (/dev/shm: the software's speed), one run written to the disk
(bench-data/: the disk's speed too; on ext4, creating files just after deleting many is slow),
and the peak resident memory of the run over N exams and of one over N/10, to show it is flat.
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

from benchexams import exam

abi, count, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
TARGETS = {"html": 2000, "pdf": 500}


def exams(n):
    directory = os.path.join(folder, f"exam-files-{n}")
    if not os.path.exists(directory):
        rng = random.Random(2026)
        os.makedirs(directory + ".tmp", exist_ok=True)
        for i in range(n):
            with open(os.path.join(directory + ".tmp", f"{i:06d}.exam.json"), "w") as f:
                json.dump(exam(rng, i), f)
        os.replace(directory + ".tmp", directory)
    return directory


MEMORY = "/dev/shm" if os.path.isdir("/dev/shm") else folder


def run(fmt, directory, where):
    out = os.path.join(where, f"abi-bench-reports-{fmt}")
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    process = subprocess.Popen([abi, "report", "--all", directory, "--out-dir", out, "--format", fmt],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 65):
        sys.exit(f"abi report --all --format {fmt} exited {os.waitstatus_to_exitcode(status)}")
    written = len(os.listdir(out))
    shutil.rmtree(out, ignore_errors=True)
    return elapsed, usage.ru_maxrss / 1024, written


big, small = exams(count), exams(max(1, count // 10))
print(f"input: {count} exam files in {big}")
for fmt in ["html", "pdf", "text", "fhir", "hl7"]:
    rates = []
    for attempt in range(3):
        elapsed, peak, written = run(fmt, big, MEMORY)
        rates.append(written / elapsed)
    disk_elapsed, _, disk_written = run(fmt, big, folder)
    _, small_peak, _ = run(fmt, small, MEMORY)
    target = f" (target ≥ {TARGETS[fmt]:,}/s)" if fmt in TARGETS else ""
    print(f"{fmt:5}: best {max(rates):,.0f} reports/s, median {statistics.median(rates):,.0f}/s{target}; "
          f"to disk {disk_written / disk_elapsed:,.0f}/s; peak RSS {peak:.1f} MiB over {count}, {small_peak:.1f} MiB over {count // 10}")
