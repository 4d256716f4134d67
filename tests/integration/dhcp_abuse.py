"""DHCP clients for the abuse tests, over a veth with scapy: racks of Pi 3Bs (the captured
DISCOVER with each Pi's MAC), floods of DISCOVERs from random MACs that are not Pis, one MAC
DISCOVERing in a loop, and a check of every OFFER a whole run put on the wire.

usage: dhcp_abuse.py IFACE SERVER_IP DISCOVER_HEX COMMAND ARGS
  pis FIRST COUNT WAIT_S OUT_JSON      Pis FIRST.. DISCOVER together, unanswered ones again every
                                       0.5 s until WAIT_S; writes {mac: address}, prints when
                                       the last one was answered
  flood COUNT SECONDS                  COUNT DISCOVERs from random non-Pi MACs spread over SECONDS
  same COUNT SECONDS                   COUNT DISCOVERs from one non-Pi MAC over SECONDS; prints
                                       the OFFERs it got
  check PCAP JSON...                   no address offered to two MACs in PCAP, and each MAC in the
                                       JSON files was only ever offered the address listed there
"""
import json
import os
import random
import sys
import time

from scapy.all import BOOTP, DHCP, IP, UDP, Ether, conf, rdpcap, sendp

import dhcpwire

from reply_capture import ReplyCapture
from checks import fail

conf.verb = 0
iface, server_ip, hex_path, command = sys.argv[1:5]
args = sys.argv[5:]
template = bytes.fromhex(open(hex_path).read().strip())




mac_text = dhcpwire.mac_text


def pi_mac(n):
    return bytes([0xb8, 0x27, 0xeb, 0x30, (n >> 8) & 0xff, n & 0xff])


def pi_discover(n, xid):
    mac = pi_mac(n)
    return dhcpwire.broadcast_frame(mac, dhcpwire.from_template(template, xid, mac))


def plain_discover(mac, xid):
    return Ether(src=mac_text(mac), dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") \
        / UDP(sport=68, dport=67) / BOOTP(chaddr=mac + bytes(10), xid=xid, flags=0x8000) \
        / DHCP(options=[("message-type", "discover"), "end"])


def offers_in(frames):
    """(mac, yiaddr) of every OFFER among raw frames or scapy packets."""
    out = []
    for f in frames:
        b = bytes(f[UDP].payload) if hasattr(f, "haslayer") else bytes(Ether(f)[UDP].payload)
        if len(b) >= 243 and dhcpwire.message_type(b) == dhcpwire.OFFER:
            out.append((dhcpwire.chaddr(b).hex(":"), dhcpwire.yiaddr(b)))
    return out


def send_spread(frames, seconds):
    """Sends frames in 20 slices over `seconds` (bounded: one pass)."""
    slices = 20
    per = max(1, len(frames) // slices)
    start = time.time()
    for k in range(0, len(frames), per):
        sendp(frames[k:k + per], iface=iface)
        due = start + seconds * (k + per) / len(frames)
        if due > time.time():
            time.sleep(due - time.time())
    return time.time() - start


if command == "pis":
    first, count, wait, out_path = int(args[0]), int(args[1]), float(args[2]), args[3]
    capture = ReplyCapture(iface)
    time.sleep(0.3)
    start = time.time()
    offered = {}
    answered_at = 0.0
    seen = 0
    xid = 0x31000000 + first
    # Only this run's Pis count: an earlier run's Pi may still be answered now (the store commits
    # the batch it kept once the disk has room again), and the final check sees those OFFERs.
    ours = {mac_text(pi_mac(n)) for n in range(first, first + count)}
    while time.time() - start < wait:
        todo = [n for n in range(first, first + count) if mac_text(pi_mac(n)) not in offered]
        if not todo:
            break
        xid += 1
        sendp([pi_discover(n, xid + n) for n in todo], iface=iface)
        until = time.time() + 0.5
        while time.time() < until:
            time.sleep(0.05)
            frames = capture.frames[seen:]
            seen += len(frames)
            for mac, ip in offers_in(frames):
                if mac not in ours:
                    continue
                if mac in offered and offered[mac] != ip:
                    fail(f"{mac} offered {offered[mac]} and then {ip}")
                if mac not in offered:
                    answered_at = time.time() - start
                offered[mac] = ip
    capture.stop()
    json.dump(offered, open(out_path, "w"))
    print(f"pis: {len(offered)} of {count} offered; the last after {answered_at:.2f} s")
elif command == "flood":
    count, seconds = int(args[0]), float(args[1])
    rnd = random.Random(os.getpid())
    frames = []
    for n in range(count):
        mac = bytes([0x02, rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), rnd.randrange(256),
                     rnd.randrange(256)])
        frames.append(plain_discover(mac, 0x40000000 + n))
    capture = ReplyCapture(iface)
    time.sleep(0.3)
    took = send_spread(frames, seconds)
    time.sleep(1.0)
    got = offers_in(capture.stop())
    print(f"flood: {count} DISCOVERs from random MACs in {took:.2f} s, {len(got)} OFFERs")
elif command == "same":
    count, seconds = int(args[0]), float(args[1])
    mac = bytes([0x02, 0x5a, 0x5a, 0x00, 0x00, 0x01])
    frames = [plain_discover(mac, 0x50000000 + n) for n in range(count)]
    capture = ReplyCapture(iface)
    time.sleep(0.3)
    took = send_spread(frames, seconds)
    time.sleep(1.0)
    got = offers_in(capture.stop())
    addresses = {ip for _, ip in got}
    if len(addresses) > 1:
        fail(f"one MAC was offered {sorted(addresses)}")
    print(f"same: {count} DISCOVERs from one MAC in {took:.2f} s, {len(got)} OFFERs")
    print(f"offers={len(got)}")
elif command == "check":
    pcap = args[0]
    owner = {}
    offers = offers_in(rdpcap(pcap))
    for mac, ip in offers:
        if owner.setdefault(ip, mac) != mac:
            fail(f"{ip} was offered to {owner[ip]} and to {mac}")
    told = {}
    for mac, ip in offers:
        told.setdefault(mac, set()).add(ip)
    for path in args[1:]:
        for mac, ip in json.load(open(path)).items():
            if told.get(mac, {ip}) != {ip}:
                fail(f"{mac} was offered {sorted(told[mac])}, and {ip} in {path}")
    print(f"check: {len(offers)} OFFERs on the wire, {len(owner)} addresses, none offered to two MACs")
else:
    fail(f"unknown command {command}")
