"""COUNT Pi 4 DISCOVERs, each from its own MAC (dc:a6:32 + a counter) and with its own option 97
serial (BASE + i), broadcast on the interface the socket is bound to (a test's veth inside its
client namespace; nothing leaves it). Prints how long sending took.

usage: pi4_flood.py IFACE COUNT BASE_SERIAL_HEX"""
import socket
import struct
import sys
import time

iface, count, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 16)
params = bytes([43, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135, 66, 1, 3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
s.bind(("0.0.0.0", 68))
t0 = time.time()
for i in range(count):
    mac = bytes([0xdc, 0xa6, 0x32]) + struct.pack("!I", base + i)[1:]
    serial = struct.pack("!I", base + i)
    guid = b"\x00RPi4" + b"\x00\xc0\x31\x12" + mac[2:6] + serial
    opts = [(53, b"\x01"), (55, params), (93, b"\x00\x00"), (94, b"\x01\x02\x01"), (97, guid),
            (60, b"PXEClient:Arch:00000:UNDI:002001")]
    p = bytearray(236)
    p[0:4] = b"\x01\x01\x06\x00"
    p[4:8] = struct.pack("!I", 0x5a000000 + i)
    p[28:34] = mac
    p += b"\x63\x82\x53\x63"
    for code, data in opts:
        p += bytes([code, len(data)]) + data
    p += b"\xff"
    s.sendto(bytes(p), ("255.255.255.255", 67))
    if i % 100 == 99:
        time.sleep(0.005)
print(f"sent {count} in {time.time() - t0:.2f} s")
