"""Times `abi calc` on exam files with many object keys (best and median of 5 runs each)."""
import json, os, statistics, subprocess, sys, time

abi, folder = sys.argv[1], sys.argv[2]
base = {"format": "abi-exam/1", "patient": {"id": "BENCH"}, "exam": {"performedAt": "2026-11-26T09:30:00Z"},
        "readings": [{"site": "rightBrachial", "systolic": 140}, {"site": "rightPosteriorTibial", "systolic": 120},
                     {"site": "leftBrachial", "systolic": 138}, {"site": "leftPosteriorTibial", "systolic": 118}]}

def timed(path):
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([abi, "calc", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs.append(time.perf_counter() - start)
    return min(runs), statistics.median(runs)

print(f"{'input':<44} {'size':>8} {'best':>9} {'median':>9}")
for keys in (30_000, 60_000, 120_000, 480_000):
    exam = dict(base, symptoms={"left": {f"k{i}": True for i in range(keys)}})
    path = os.path.join(folder, f"keys-{keys}.exam.json")
    with open(path, "w") as f:
        json.dump(exam, f)
    best, median = timed(path)
    print(f"{keys:>7,} unknown keys in symptoms.left {os.path.getsize(path) / 1e6:>15.1f} MB {best * 1000:>7.0f} ms {median * 1000:>7.0f} ms")
exam = dict(base, readings=[{"site": "rightBrachial", "systolic": 100 + i % 100} for i in range(1000)])
path = os.path.join(folder, "readings-1000.exam.json")
with open(path, "w") as f:
    json.dump(exam, f)
best, median = timed(path)
print(f"{'1,000 readings (the most an exam may hold)':<44} {os.path.getsize(path) / 1e6:>5.2f} MB {best * 1000:>7.0f} ms {median * 1000:>7.0f} ms")
