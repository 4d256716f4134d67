"""COUNT Pi 4 DISCOVERs, each from its own MAC (dc:a6:32 + a counter) and with its own option 97
serial (BASE + i), broadcast on the interface the socket is bound to (a test's veth inside its
client namespace; nothing leaves it). Prints how long sending took.

usage: pi4_flood.py IFACE COUNT BASE_SERIAL_HEX"""
import socket
import struct
import sys
import time

import dhcpwire

iface, count, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 16)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
s.bind(("0.0.0.0", 68))
t0 = time.time()
for i in range(count):
    mac = bytes([0xdc, 0xa6, 0x32]) + struct.pack("!I", base + i)[1:]
    p = dhcpwire.bootp(0x5a000000 + i, mac, dhcpwire.pi4_options(mac, struct.pack("!I", base + i)))
    s.sendto(bytes(p), ("255.255.255.255", 67))
    if i % 100 == 99:
        time.sleep(0.005)
print(f"sent {count} in {time.time() - t0:.2f} s")
