#!/usr/bin/env python3
"""Writes a umockdev device description (.umockdev) and replay script (.script) for each
built-in codec, from the frames docs/devices.md publishes or defines. The tests run `abi devices`
and `abi listen` against them under umockdev-run.

The frames are built here independently of the Swift codecs, so the tests check one against
the other. Run it again after changing it: python3 samples/devices/make-samples.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

DEVICES = {
    # profile: (vendor, product, serial, model, usb port)
    "suntech-advantage": ("0403", "6001", "ST000042", "SunTech_Advantage_OEM", "1"),
    "nonin-2": ("0403", "6001", "NONIN001", "Nonin_3231_USB", "2"),
    "contec-cms50-legacy": ("10c4", "ea60", None, "CP2102_USB_to_UART_Bridge_Controller", "3"),
    "masimo-ascii1": ("067b", "2303", None, "USB-Serial_Controller", "4"),
    "nonin-ascii": ("0403", "6001", "NONIN002", "Nonin_3231_USB", "5"),
    "doppler-manometer": ("1a86", "7523", None, "USB2.0-Serial", "6"),
    "contec-cms50-v7": ("10c4", "ea60", None, "CP2102_USB_to_UART_Bridge_Controller", "7"),
}


def description(profile, index):
    vendor, product, serial, model, usb_port = DEVICES[profile]
    tty = f"ttyUSB{index}"
    usb = f"/devices/pci0000:00/0000:00:14.0/usb1/1-{usb_port}"
    id_path = f"pci-0000:00:14.0-usb-0:{usb_port}:1.0"
    lines = [
        f"P: {usb}", f"N: bus/usb/001/00{usb_port}", f"E: DEVNAME=/dev/bus/usb/001/00{usb_port}",
        "E: DEVTYPE=usb_device", "E: SUBSYSTEM=usb", f"E: ID_VENDOR_ID={vendor}", f"E: ID_MODEL_ID={product}",
        f"A: idVendor={vendor}", f"A: idProduct={product}", f"A: product={model.replace('_', ' ')}",
    ]
    if serial:
        lines += [f"E: ID_SERIAL_SHORT={serial}", f"A: serial={serial}"]
    lines += [
        "", f"P: {usb}/1-{usb_port}:1.0/{tty}/tty/{tty}", f"N: {tty}", f"E: DEVNAME=/dev/{tty}",
        "E: SUBSYSTEM=tty", "E: ID_BUS=usb", f"E: ID_VENDOR_ID={vendor}", f"E: ID_MODEL_ID={product}",
        f"E: ID_MODEL={model}", f"E: ID_PATH={id_path}", f"E: ABI_PROFILE={profile}", f"A: dev=188:{index}",
    ]
    if serial:
        lines.insert(-3, f"E: ID_SERIAL_SHORT={serial}")
    return "\n".join(lines) + "\n"


def escape(data: bytes) -> bytes:
    out = bytearray()
    for b in data:
        if b == 0x5E:
            out += b"^`"
        elif b < 0x20:
            out += bytes([0x5E, b + 64])
        else:
            out.append(b)
    return bytes(out)


def script(steps):
    """steps: (direction, delay ms, bytes). A chunk must not start with a space."""
    out = bytearray()
    for direction, delay, data in steps:
        assert not data.startswith(b" ")
        out += f"{direction} {delay} ".encode() + escape(data) + b"\n"
    return bytes(out)


def suntech_response(data):
    frame = bytes([0x3E, len(data) + 3]) + bytes(data)
    return frame + bytes([(256 - sum(frame) % 256) % 256])


def nonin_packet(hr, spo2, status=0x80):
    out = bytearray()
    for i in range(25):
        value = [hr >> 7 & 3, hr & 0x7F, spo2][i] if i < 3 else 0
        b1 = status | (1 if i == 0 else 0)
        frame = bytes([0x01, b1, 40 + i, value])
        out += frame + bytes([sum(frame) % 256])
    return bytes(out)


def cms50_packet(rate, spo2, finger_out=False):
    return bytes([0x80 | 5 | (0x10 if finger_out else 0), 40, 4 | (0x40 if rate & 0x80 else 0), rate & 0x7F, spo2])


def cms50_v7_packet(rate, spo2, pleth=40):
    """Protocol V7.0: type 0x01, a byte carrying bit 7 of each data byte, data bytes with bit 7 set."""
    data = [0x05, pleth, 0x04, rate, spo2, 0, 0]
    high = 0x80 | sum(1 << i for i, b in enumerate(data) if b & 0x80)
    return bytes([0x01, high] + [b | 0x80 for b in data])


V7_START = bytes([0x7D, 0x81, 0xA1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80])
START = bytes([0x3A, 0x20, 0xA6])
CUFF = bytes([0x3A, 0x79, 0x05, 0x00, 0x48])
BPDATA = bytes([0x3A, 0x79, 0x03, 0x00, 0x4A])
VECTOR = bytes.fromhex("3e1873004a001e0100000000000031075500580000000" "0e9")

SCRIPTS = {
    # The host drives: start, cuff polls every 500 ms, BP data at 2 s (after the 4th cuff poll).
    "suntech-advantage": [("w", 0, START), ("r", 0, suntech_response(b"O"))]
    + sum([[("w", 0, CUFF), ("r", 0, suntech_response([p, 0]))] for p in (160, 140, 120, 100)], [])
    + [("w", 0, BPDATA), ("r", 0, VECTOR)],
    "nonin-2": [("r", 500, nonin_packet(72, 97)), ("r", 330, nonin_packet(73, 97)), ("r", 330, nonin_packet(74, 97)),
                ("r", 330, nonin_packet(511, 127, 0xC0)), ("r", 330, nonin_packet(75, 96))],
    "contec-cms50-legacy": [("r", 500, cms50_packet(72, 98))] + [("r", 17, cms50_packet(72 + i % 3, 98)) for i in range(80)]
    + [("r", 17, cms50_packet(0, 127, finger_out=True))],
    # Every script waits 500 ms before its first bytes: the port is flushed when abi has set it
    # up (stale bytes at the wrong speed are garbage), and a loaded machine may take a while.
    # Oximeter lines 1.5 s apart, not 1 s: the reader keeps the first reading in each second of the
    # clock, and a busy CI machine must not make two lines land in the same second.
    "masimo-ascii1": [("r", 500, b"02/22/16 22:47:45 SN=0000056661 SPO2=098% BPM=097 PI=03.60% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n"),
                      ("r", 1500, b"02/22/16 22:47:46 SN=0000056661 SPO2=--% BPM=---% PI=--.--% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000000\r\n")],
    "nonin-ascii": [("r", 500, b"SPO2=097 HR=072\r\n"), ("r", 1500, b"12:00:01 SPO2=096 HR=071 F\r\n"), ("r", 1500, b"SPO2=--- HR=---*\r\n")],
    # The V7 oximeter streams only once asked: abi sends the start command when it opens the port.
    "contec-cms50-v7": [("w", 0, V7_START), ("r", 500, cms50_v7_packet(72, 98))]
    + [("r", 17, cms50_v7_packet(72 + i % 3, 98)) for i in range(80)],
    "doppler-manometer": [("r", 500, b"P=180\r\n")] + [("r", 20, f"P={p}\r\n".encode()) for p in range(170, 119, -10)]
    + [("r", 20, b"MARK\r\n"), ("r", 20, b"P=110\r\n")],
}

for index, profile in enumerate(DEVICES):
    with open(os.path.join(HERE, f"{profile}.umockdev"), "w") as f:
        f.write(description(profile, 0))
    with open(os.path.join(HERE, f"{profile}.script"), "wb") as f:
        f.write(script(SCRIPTS[profile]))
print("wrote", len(DEVICES), "device samples to", HERE)
