"""The web app over a store of N generated exams: the idle server's CPU and memory, then the
worklist and two patient pages (one with 200 exams, one with 1) under 20 concurrent clients
with wrk (10 s each, after a 2 s warm-up), with their latency percentiles."""
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from benchexams import make_store

abi, count, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = os.path.join(folder, f"store-{count}", "abi.sqlite")
env = dict(os.environ, ABI_DB=store, ABI_OPERATOR="bench")
make_store(abi, count, store, env)
os.chmod(os.path.dirname(store), 0o700)
password = "a benchmark password"
if "bench " not in subprocess.run([abi, "users", "list", "--db", store], capture_output=True, text=True).stdout:
    subprocess.run([abi, "users", "add", "bench", "--role", "physician", "--db", store], input=password + "\n", text=True, check=True,
                   stderr=subprocess.DEVNULL)

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = subprocess.Popen([abi, "serve", "--db", store, "--listen", f"127.0.0.1:{port}"], stderr=subprocess.PIPE, text=True, env=env)
for line in server.stderr:
    if "listening on" in line:
        break
base = f"http://127.0.0.1:{port}"


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


try:
    time.sleep(2)
    before = cpu_seconds(server.pid)
    time.sleep(30)
    idle = cpu_seconds(server.pid) - before
    print(f"idle server: {idle * 1000:.0f} ms of CPU in 30 s = {idle / 30 * 100:.2f}% of a core (target < 1%); "
          f"memory {memory(server.pid, 'VmRSS'):.1f} MB resident (target < 100 MB)")

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    opener.open(base + "/signin", urllib.parse.urlencode({"name": "bench", "password": password}).encode()).read()
    cookie = [c for c in opener.handlers if isinstance(c, urllib.request.HTTPCookieProcessor)][0].cookiejar
    session = [c.value for c in cookie if c.name == "abi_session"][0]
    home = opener.open(base + "/").read().decode()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', home).group(1)
    found = opener.open(base + "/search", urllib.parse.urlencode({"csrf": csrf, "q": "BENCH-0001"}).encode()).read().decode()
    some = re.search(r'href="/patients/(BENCH-[0-9]+)"', found).group(1)

    for name, path in [("worklist", "/"), ("patient page, 200 exams", "/patients/HIST-0001"), ("patient page, 1 exam", f"/patients/{some}")]:
        arguments = ["wrk", "-t2", "-c20", "--latency", "-H", f"Cookie: abi_session={session}", base + path]
        subprocess.run(arguments[:3] + ["-d2s"] + arguments[3:], capture_output=True)  # warm-up
        out = subprocess.run(arguments[:3] + ["-d10s"] + arguments[3:], capture_output=True, text=True).stdout
        p = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
        rate = re.search(r"Requests/sec:\s+(\S+)", out).group(1)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        print(f"{name:26} 20 clients: p50 {p.get('50')}, p90 {p.get('90')}, p99 {p.get('99')} (target < 50 ms); {rate} requests/s"
              + (f"; {errors.group(1)} errors" if errors else ""))
    print(f"server memory after the load: {memory(server.pid, 'VmRSS'):.1f} MB resident, peak {memory(server.pid, 'VmHWM'):.1f} MB")
finally:
    server.terminate()
    server.wait(30)
