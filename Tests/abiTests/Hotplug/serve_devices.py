"""The web app's live device list, run as:
umockdev-wrapper /usr/bin/python3 serve_devices.py ABI SAMPLE.umockdev STORE PORT

Starts `abi serve` on an empty umockdev testbed, signs in, follows /devices/events (the list the
capture form shows), plugs the sample device in and unplugs it, and checks that the list follows,
with the device's profile. Prints each list it received; exit 0 when both changes were seen.
"""
import http.cookiejar
import json
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

abi, description_file, store, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
description = open(description_file).read()
tty_syspath = ["/sys" + line[3:] for line in description.splitlines() if line.startswith("P: ")][-1]
testbed = UMockdev.Testbed.new()
server = subprocess.Popen([abi, "serve", "--db", store, "--listen", "127.0.0.1:%d" % port], stderr=subprocess.PIPE, text=True)
for line in server.stderr:
    if "listening on" in line:
        break
base = "http://127.0.0.1:%d" % port
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
opener.open(base + "/signin", urllib.parse.urlencode({"name": "nurse", "password": "a nurse password"}).encode()).read()
lists = []


def follow():
    events = opener.open(base + "/devices/events", timeout=30)
    for raw in events:
        line = raw.decode()
        if line.startswith("data: "):
            lists.append(json.loads(line[6:]))


threading.Thread(target=follow, daemon=True).start()


def wait_for(condition, seconds=8):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if lists and condition(lists[-1]):
            return True
        time.sleep(0.05)
    return False


ok = wait_for(lambda devices: devices == [])
assert testbed.add_from_string(description)
ok = wait_for(lambda devices: any(d.get("serial") == "NONIN001" and d.get("profile") == "nonin-2" and d.get("present") for d in devices)) and ok
testbed.uevent(tty_syspath, "remove")
ok = wait_for(lambda devices: not any(d.get("serial") == "NONIN001" for d in devices)) and ok
server.terminate()
server.wait(timeout=10)
print(json.dumps(lists))
sys.exit(0 if ok else 1)
