"""Proxy DHCP over a real veth with scapy: the Pi 3B capture gets the OFFER PI-BOOT.md specifies,
byte for byte, broadcast from the server's address; a non-Pi gets nothing; a rack of 1,000 Pis
DISCOVERing within a second all get an OFFER.

usage: dhcp_proxy.py IFACE SERVER_IP DISCOVER_HEX PCAP_OUT"""
import socket
import sys
import time

from scapy.all import BOOTP, DHCP, IP, UDP, Ether, Raw, conf, sendp, wrpcap

import dhcpwire
from reply_capture import ReplyCapture
from checks import fail

conf.verb = 0
iface, server_ip, hex_path, pcap_out = sys.argv[1:5]
discover = bytes.fromhex(open(hex_path).read().strip())


def frame(payload, mac):
    return (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
            / UDP(sport=68, dport=67) / Raw(payload))


def expected_offer(req, server):
    """The proxy OFFER of PI-BOOT.md, written out independently of rackbootd."""
    hdr = bytearray(236)
    hdr[0:3] = b"\x02\x01\x06"
    hdr[4:8] = req[4:8]        # xid
    hdr[10:12] = req[10:12]    # flags
    hdr[20:24] = socket.inet_aton(server)  # siaddr: the TFTP server
    hdr[24:28] = req[24:28]    # giaddr
    hdr[28:44] = req[28:44]    # chaddr
    # The client's option 97, echoed.
    guid = dhcpwire.options_of(req).get(97)
    o = bytearray(b"\x63\x82\x53\x63")
    o += bytes([53, 1, 2]) + bytes([54, 4]) + socket.inet_aton(server)
    o += bytes([60, 9]) + b"PXEClient"
    if guid is not None:
        o += bytes([97, len(guid)]) + guid
    menu = b"Raspberry Pi Boot   "
    o43 = bytes([6, 1, 3, 10, 4, 0]) + b"PXE" + bytes([9, 3 + len(menu), 0, 0, len(menu)]) + menu + b"\xff"
    o += bytes([43, len(o43)]) + o43 + b"\xff"
    out = bytes(hdr) + bytes(o)
    return out + b"\x00" * max(0, 300 - len(out))


def run(frames, wait, expect=None):
    capture = ReplyCapture(iface)
    time.sleep(0.5)
    sendp(frames, iface=iface)
    time.sleep(wait)
    # On a loaded machine let the expected replies finish arriving (bounded).
    deadline = time.time() + 6
    while expect is not None and time.time() < deadline and len(capture) < expect:
        time.sleep(0.2)
    got = capture.stop()
    if capture.drops:
        fail(f"the capture socket dropped {capture.drops} frames")
    return got




# 1. The Pi 3B capture.
replies = run([frame(discover, "b8:27:eb:28:f6:6d")], 1.0)
if len(replies) != 1:
    fail(f"expected one OFFER for the Pi 3B DISCOVER, got {len(replies)}")
r = replies[0]
if r[Ether].dst != "ff:ff:ff:ff:ff:ff" or r[IP].dst != "255.255.255.255" or r[IP].src != server_ip:
    fail(f"OFFER addressing: eth {r[Ether].dst} ip {r[IP].src} -> {r[IP].dst}")
if r[UDP].sport != 67 or r[UDP].dport != 68:
    fail(f"OFFER ports {r[UDP].sport} -> {r[UDP].dport}")
got = bytes(r[UDP].payload)
want = expected_offer(discover, server_ip)
if got != want:
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            fail(f"OFFER differs at byte {i}: got {a:#x}, want {b:#x} (lengths {len(got)} / {len(want)})")
    fail(f"OFFER length {len(got)}, want {len(want)}")
print("ok: Pi 3B DISCOVER -> proxy OFFER, byte for byte, broadcast from", server_ip)
wrpcap(pcap_out, replies)

# 2. Not a Pi (u-boot's vendor class and a QEMU MAC): no reply.
uboot = bytearray(discover)
uboot[28:34] = bytes.fromhex("525400123456")
nothing = run([frame(bytes(uboot), "52:54:00:12:34:56")], 1.0)
if nothing:
    fail(f"a non-Pi got {len(nothing)} replies")
print("ok: a non-Pi gets no proxy reply")

# 3. A rack of 1,000 Pis (distinct MACs and xids) within one second.
frames = []
for n in range(1000):
    p = bytearray(discover)
    p[4:8] = (0x10000000 + n).to_bytes(4, "big")
    mac = bytes([0xdc, 0xa6, 0x32, 0x00, n >> 8, n & 0xff])
    p[28:34] = mac
    frames.append(frame(bytes(p), ":".join(f"{b:02x}" for b in mac)))
start = time.time()
replies = run(frames, 1.0, expect=1000)
xids = {bytes(r[UDP].payload)[4:8] for r in replies}
macs = {bytes(r[UDP].payload)[28:34] for r in replies}
if len(xids) != 1000 or len(macs) != 1000:
    fail(f"1,000 Pis: {len(xids)} distinct xids and {len(macs)} MACs answered")
print(f"ok: 1,000 Pis DISCOVERing together all got an OFFER ({len(replies)} replies)")
wrpcap(pcap_out, replies[:50], append=True)
