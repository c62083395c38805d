"""Realistic generated exams (abi-exam/1) for the benchmarks: a fixed seed gives the same set."""

SITES = ["rightBrachial", "rightPosteriorTibial", "rightDorsalisPedis", "leftPosteriorTibial",
         "leftDorsalisPedis", "leftBrachial", "rightToe", "leftToe"]


def reading(rng, site, seq):
    r = rng.random()
    if r < 0.04:
        return {"site": site, "seq": seq, "state": "absent", "method": "doppler"}
    if r < 0.06:
        return {"site": site, "seq": seq, "state": "noncompressible", "atPressure": 250, "method": "doppler"}
    if r < 0.07:
        return {"site": site, "seq": seq, "state": "notMeasured", "reason": "wound dressing"}
    if r < 0.08:
        return {"site": site, "seq": seq, "state": "deviceError", "code": "3", "message": "retry count exceeded"}
    if "Brachial" in site:
        s = rng.randint(95, 190)
        return {"site": site, "seq": seq, "systolic": s, "diastolic": rng.randint(50, s - 20),
                "pulse": rng.randint(50, 110), "method": "oscillometric"}
    if "Toe" in site:
        return {"site": site, "seq": seq, "systolic": rng.randint(10, 140), "method": "ppg"}
    return {"site": site, "seq": seq, "systolic": rng.randint(30, 260), "method": "doppler"}


def exam(rng, i):
    sites = SITES if rng.random() < 0.3 else SITES[:6]
    e = {
        "format": "abi-exam/1",
        "patient": {"id": f"BENCH-{i:06d}", "name": "Bench, Patient", "birthDate": "1950-01-01",
                    "sex": rng.choice(["female", "male"]), "diabetes": rng.random() < 0.3},
        "exam": {"performedAt": "2026-11-26T09:30:00Z", "indication": "benchmark", "operator": "bench",
                 "position": "supine", "restMinutes": 10},
        "readings": [reading(rng, s, n + 1) for n, s in enumerate(sites)],
    }
    if rng.random() < 0.2:
        e["symptoms"] = {"acuteOnsetDays": None, "wellsScore": rng.randint(-2, 4),
                         "right": {"restPain": rng.random() < 0.5, "nightOnset": rng.random() < 0.5, "woundWeeks": rng.randint(0, 6)},
                         "left": {"swelling": rng.random() < 0.3, "warmth": rng.random() < 0.3}}
    if rng.random() < 0.2:
        e["prior"] = [{"performedAt": "2026-05-01T10:00:00Z", "rightAbi": round(rng.uniform(0.3, 1.3), 2),
                       "leftAbi": round(rng.uniform(0.3, 1.3), 2)}]
    return e


HISTORY = 200


def make_store(abi, count, store, env):
    """A store of `count` generated exams, 200 of them one patient's (HIST-0001) over 200 days;
    made once and kept (bench-data/)."""
    import datetime, json, os, random, shutil, subprocess, time
    if os.path.exists(store):
        return
    folder = os.path.dirname(os.path.dirname(store))
    files = os.path.join(folder, f"store-{count}-files")
    shutil.rmtree(files, ignore_errors=True)
    os.makedirs(files)
    rng = random.Random(2026)
    for i in range(count):
        e = exam(rng, i)
        if i < HISTORY:  # one patient followed for 200 exams
            e["patient"] = {"id": "HIST-0001", "name": "History, Patient", "birthDate": "1950-01-01", "sex": "female", "diabetes": True}
            when = datetime.datetime(2025, 1, 1, 9, 30) + datetime.timedelta(days=2 * i)
            e["exam"]["performedAt"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            e.pop("prior", None)
        with open(os.path.join(files, f"{i:06d}.exam.json"), "w") as f:
            json.dump(e, f)
    start = time.perf_counter()
    subprocess.run([abi, "exams", "import", files], env=dict(env, ABI_DB=store), stdout=subprocess.DEVNULL, check=True)
    print(f"imported {count} exams in {time.perf_counter() - start:.1f} s (100 exams per transaction)")
    shutil.rmtree(files)
