"""Hotplug test harness, run as: umockdev-wrapper /usr/bin/python3 hotplug.py ABI SAMPLE.umockdev

Creates a umockdev testbed with the sample USB-serial device, starts `abi listen` on it, sends
cuff pressures, removes the device in mid-stream (a udev "remove" uevent), adds it again, sends
more, and prints what abi printed as JSON Lines on standard output for the Swift test to check.
"""
import json
import os
import select
import signal
import subprocess
import sys
import time

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

abi, description_file = sys.argv[1], sys.argv[2]
description = open(description_file).read()
tty_syspath = ["/sys" + line[3:] for line in description.splitlines() if line.startswith("P: ")][-1]
usb_syspath = ["/sys" + line[3:] for line in description.splitlines() if line.startswith("P: ")][0]

testbed = UMockdev.Testbed.new()


def plug(name):
    # The device comes back under another name, as it may after a real replug: abi must
    # recognise it by its serial number or USB port, not its name.
    assert testbed.add_from_string(description.replace("ttyUSB0", name))
    return testbed.get_dev_fd("/dev/" + name)


def send(fd, values):
    for v in values:
        os.write(fd, f"P={v}\r\n".encode())
        time.sleep(0.05)


lines = []
pending = b""


def collect(proc, until, seconds):
    """Reads abi's output until a record satisfies `until` or time runs out. Reads the pipe's
    descriptor directly: a buffered file object would hold lines that select() cannot see."""
    global pending
    deadline = time.time() + seconds
    while time.time() < deadline:
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            text = line.decode() + "\n"
            lines.append(text)
            if until(json.loads(text)):
                return True
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                return False
            pending += chunk
    return False


fd = plug("ttyUSB0")
proc = subprocess.Popen([abi, "listen", "--port", "/dev/ttyUSB0", "--profile", "doppler-manometer", "--timeout", "20"],
                        stdout=subprocess.PIPE)
ok = collect(proc, lambda r: r.get("event") == "connected", 5)
send(fd, [101, 102, 103])
ok = ok and collect(proc, lambda r: r.get("pressure") == 103, 5)

# Unplug in mid-stream: the kernel would hang the port up and udev announce "remove".
testbed.uevent(tty_syspath, "remove")
testbed.remove_device(tty_syspath)
testbed.remove_device(usb_syspath)
ok = ok and collect(proc, lambda r: r.get("event") == "disconnected", 5)

# Plug it back in (adding a device sends its "add" uevent).
fd = plug("ttyUSB1")
ok = ok and collect(proc, lambda r: r.get("event") == "reconnected", 5)
time.sleep(0.2)
send(fd, [111, 112, 113])
ok = ok and collect(proc, lambda r: r.get("pressure") == 113, 5)

proc.send_signal(signal.SIGINT)
try:
    proc.wait(timeout=5)
except subprocess.TimeoutExpired:
    proc.kill()
    ok = False
rest = pending + proc.stdout.read()
lines.extend(line.decode() + "\n" for line in rest.split(b"\n") if line)
sys.stdout.write("".join(lines))
sys.stderr.write(f"hotplug harness: {'complete' if ok else 'INCOMPLETE'}, abi exited {proc.returncode}\n")
sys.exit(0 if ok and proc.returncode == 0 else 1)
