"""One Pi 4's DHCP, as its EEPROM does it (PI-BOOT.md): DISCOVER with option 97 (type 0, "RPi4",
revision, the MAC's low bytes, the serial) and the PXE vendor class, then REQUEST for the
offered address. Prints the address it was given, or FAIL. With "offer" (a proxy's answer
carries no address, and a Pi takes it without a REQUEST) it stops at the OFFER and prints
"offer", or FAIL.

usage: pi4_dhcp.py IFACE MAC SERIAL_HEX [offer]"""
import struct
import sys
import time

from scapy.all import IP, UDP, Ether, Raw, conf, sendp

from reply_capture import ReplyCapture

conf.verb = 0
iface, mac_text, serial_hex = sys.argv[1:4]
mac = bytes.fromhex(mac_text.replace(":", ""))
serial = bytes.fromhex(serial_hex)
params = bytes([43, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135, 66, 1, 3])


def packet(xid, opts):
    p = bytearray(236)
    p[0:4] = b"\x01\x01\x06\x00"
    p[4:8] = struct.pack("!I", xid)
    p[28:34] = mac
    p += b"\x63\x82\x53\x63"
    for code, data in opts:
        p += bytes([code, len(data)]) + data
    p += b"\xff"
    return Ether(src=mac_text, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") \
        / UDP(sport=68, dport=67) / Raw(bytes(p))


guid = b"\x00RPi4" + b"\x00\xc0\x31\x12" + mac[2:6] + serial  # type, revision, MAC low 4, serial
common = [(55, params), (93, b"\x00\x00"), (94, b"\x01\x02\x01"), (97, guid),
          (60, b"PXEClient:Arch:00000:UNDI:002001")]


def exchange(pkt, want_type):
    capture = ReplyCapture(iface)
    time.sleep(0.2)
    for _ in range(5):
        sendp(pkt, iface=iface)
        deadline = time.time() + 1
        while time.time() < deadline:
            for r in [Ether(f) for f in list(capture.frames)]:
                b = bytes(r[UDP].payload)
                if len(b) > 240 and b[0] == 2 and b[28:34] == mac:
                    opts = b[240:]
                    i = 0
                    while i < len(opts) and opts[i] != 255:
                        if opts[i] == 0:
                            i += 1
                            continue
                        if opts[i] == 53 and opts[i + 2] == want_type:
                            capture.stop()
                            return b
                        i += 2 + opts[i + 1]
            time.sleep(0.05)
    capture.stop()
    print("FAIL: no reply of type", want_type)
    sys.exit(1)


offer = exchange(packet(0x4a000001, [(53, b"\x01")] + common), 2)
if sys.argv[4:5] == ["offer"]:
    print("offer")
    sys.exit(0)
yiaddr = offer[16:20]
server = None
i = 240
while offer[i] != 255:
    if offer[i] == 54:
        server = offer[i + 2:i + 6]
    i += 2 + offer[i + 1] if offer[i] != 0 else 1
ack = exchange(packet(0x4a000002, [(53, b"\x03"), (50, yiaddr), (54, server)] + common), 5)
print(".".join(str(x) for x in ack[16:20]))
