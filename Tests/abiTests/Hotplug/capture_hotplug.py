"""Capture hotplug harness, run as:
umockdev-wrapper /usr/bin/python3 capture_hotplug.py ABI SAMPLE.umockdev STORE

Creates a umockdev testbed with the Doppler manometer, starts `abi capture` on it, marks the
first site with the manometer (a MARK line), types the second, unplugs the device (a udev
"remove"), plugs it back under another name, marks the third site, types "quit", and prints
abi's standard error for the Swift test to check. The store then holds the readings.
"""
import os
import select
import subprocess
import sys
import time

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

abi, description_file, store = sys.argv[1], sys.argv[2], sys.argv[3]
description = open(description_file).read()
tty_syspath = ["/sys" + line[3:] for line in description.splitlines() if line.startswith("P: ")][-1]
usb_syspath = ["/sys" + line[3:] for line in description.splitlines() if line.startswith("P: ")][0]
testbed = UMockdev.Testbed.new()


def plug(name):
    assert testbed.add_from_string(description.replace("ttyUSB0", name))
    return testbed.get_dev_fd("/dev/" + name)


text = b""


def wait_for(proc, needle, seconds=8):
    """Reads abi's standard error until it holds `needle`."""
    global text
    deadline = time.time() + seconds
    while time.time() < deadline:
        if needle.encode() in text:
            return True
        ready, _, _ = select.select([proc.stderr], [], [], 0.1)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 65536)
            if not chunk:
                return False
            text += chunk
    return needle.encode() in text


def mark(fd, values):
    for v in values:
        os.write(fd, f"P={v}\r\n".encode())
        time.sleep(0.05)
    os.write(fd, b"MARK\r\n")


fd = plug("ttyUSB0")
# No env= here: the testbed set UMOCKDEV_DIR in the C environment, which os.environ does not show.
proc = subprocess.Popen([abi, "capture", "--patient", "HOTPLUG-1", "--port", "/dev/ttyUSB0", "--db", store,
                         "--new-patient", "--name", "Test, Pat", "--birth-date", "1950-01-01", "--sex", "female", "--diabetes", "no"],
                        stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
ok = wait_for(proc, "Next: right brachial")
time.sleep(0.3)
mark(fd, [150, 140, 131])
ok = ok and wait_for(proc, "(reading 1, saved)")
proc.stdin.write(b"value 112\n")
proc.stdin.flush()
ok = ok and wait_for(proc, "(reading 2, saved)")

# Unplug, then plug back under another name.
testbed.uevent(tty_syspath, "remove")
testbed.remove_device(tty_syspath)
testbed.remove_device(usb_syspath)
ok = ok and wait_for(proc, "Device disconnected — plug it back in")
fd = plug("ttyUSB1")
ok = ok and wait_for(proc, "Device back")
time.sleep(0.3)
# A new inflation (above the last mark, 131, by 20 mmHg) before the next mark: one mark per inflation.
mark(fd, [160, 130, 120, 110, 104])
ok = ok and wait_for(proc, "(reading 3, saved)")
proc.stdin.write(b"quit\n")
proc.stdin.flush()
try:
    proc.wait(timeout=8)
except subprocess.TimeoutExpired:
    proc.kill()
    ok = False
text += proc.stderr.read()
sys.stdout.write(text.decode())
sys.stderr.write(f"capture hotplug harness: {'complete' if ok else 'INCOMPLETE'}, abi exited {proc.returncode}\n")
sys.exit(0 if ok and proc.returncode == 0 else 1)
