"""Watch test harness, run as: umockdev-wrapper /usr/bin/python3 watch.py ABI SAMPLE.umockdev

Starts `abi devices --watch --json` on an empty umockdev testbed, plugs the sample device in,
unplugs it, and prints what abi printed.
"""
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
testbed = UMockdev.Testbed.new()
proc = subprocess.Popen([abi, "devices", "--watch", "--json"], stdout=subprocess.PIPE)
out = b""


def wait_for(text, seconds=5):
    global out
    deadline = time.time() + seconds
    while text not in out and time.time() < deadline:
        if select.select([proc.stdout], [], [], 0.1)[0]:
            out += os.read(proc.stdout.fileno(), 65536)
    return text in out


time.sleep(0.5)  # let abi list the (empty) testbed and start watching
assert testbed.add_from_string(description)
ok = wait_for(b'"event":"add"')
testbed.uevent(tty_syspath, "remove")
ok = wait_for(b'"event":"remove"') and ok
proc.send_signal(signal.SIGINT)
proc.wait(timeout=5)
sys.stdout.write(out.decode())
sys.exit(0 if ok else 1)
