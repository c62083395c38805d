"""Writes the seed corpus of each codec fuzz target: the device's own bytes, taken from the
`r` (device to program) lines of its umockdev replay script in samples/devices/, with the
script's escapes undone (^X is X-64, ^` is ^). The `w` lines (what abi sends) are left out."""
import sys

def device_bytes(script):
    out = bytearray()
    for line in open(script, "rb").read().split(b"\n"):
        if not line.startswith(b"r "):
            continue
        data = line.split(b" ", 2)[2] if line.count(b" ") >= 2 else b""
        i = 0
        while i < len(data):
            if data[i] == 0x5E and i + 1 < len(data):  # ^
                out.append(0x5E if data[i + 1] == 0x60 else data[i + 1] - 64)
                i += 2
            else:
                out.append(data[i])
                i += 1
    return bytes(out)

script, target = sys.argv[1], sys.argv[2]
with open(target, "wb") as f:
    f.write(device_bytes(script))
