"""One Pi 4's DHCP, as its EEPROM does it (PI-BOOT.md): DISCOVER with option 97 (type 0, "RPi4",
revision, the MAC's low bytes, the serial) and the PXE vendor class, then REQUEST for the
offered address. Prints the address it was given, or FAIL. With "offer" (a proxy's answer
carries no address, and a Pi takes it without a REQUEST) it stops at the OFFER and prints
"offer", or FAIL.

usage: pi4_dhcp.py IFACE MAC SERIAL_HEX [offer]"""
import sys
import time

from scapy.all import UDP, Ether, conf, sendp

import dhcpwire
from reply_capture import ReplyCapture

conf.verb = 0
iface, mac_text, serial_hex = sys.argv[1:4]
mac = bytes.fromhex(mac_text.replace(":", ""))
serial = bytes.fromhex(serial_hex)


def packet(xid, opts):
    return dhcpwire.broadcast_frame(mac, dhcpwire.bootp(xid, mac, opts))


def exchange(pkt, want_type):
    capture = ReplyCapture(iface)
    time.sleep(0.2)
    for _ in range(5):
        sendp(pkt, iface=iface)
        deadline = time.time() + 1
        while time.time() < deadline:
            for r in [Ether(f) for f in list(capture.frames)]:
                b = bytes(r[UDP].payload)
                if dhcpwire.chaddr(b) == mac and dhcpwire.message_type(b) == want_type:
                    capture.stop()
                    return b
            time.sleep(0.05)
    capture.stop()
    print("FAIL: no reply of type", want_type)
    sys.exit(1)


offer = exchange(packet(0x4a000001, dhcpwire.pi4_options(mac, serial)), dhcpwire.OFFER)
if sys.argv[4:5] == ["offer"]:
    print("offer")
    sys.exit(0)
request = dhcpwire.pi4_options(mac, serial, dhcpwire.REQUEST)
request[1:1] = [(50, offer[16:20]), (54, dhcpwire.options_of(offer)[54])]
ack = exchange(packet(0x4a000002, request), dhcpwire.ACK)
print(dhcpwire.yiaddr(ack))
