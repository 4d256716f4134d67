"""Full DHCP server over a veth with scapy: a rack of Pis DISCOVERing within a second all get
distinct addresses from the pool (and keep them: they never REQUEST), and after a restart each
MAC is offered the address it had.

usage: dhcp_server.py IFACE SERVER_IP DISCOVER_HEX PCAP_OUT {first|again} STATE_JSON COUNT"""
import json
import sys
import time

from scapy.all import IP, UDP, conf, sendp, wrpcap

import dhcpwire
from reply_capture import ReplyCapture
from checks import fail

conf.verb = 0
iface, server_ip, hex_path, pcap_out, phase, state_path, count = sys.argv[1:8]
count = int(count)
discover = bytes.fromhex(open(hex_path).read().strip())




frames = []
for n in range(count):
    mac = bytes([0xb8, 0x27, 0xeb, 0x10, n >> 8, n & 0xff])
    frames.append(dhcpwire.broadcast_frame(mac, dhcpwire.from_template(discover, 0x20000000 + n, mac)))

capture = ReplyCapture(iface)
time.sleep(0.5)
start = time.time()
sendp(frames, iface=iface)
sent_in = time.time() - start
# Replies leave once their leases are durable; give a loaded machine a few seconds.
deadline = time.time() + 8
while time.time() < deadline and len(capture) < count:
    time.sleep(0.2)
time.sleep(0.3)
replies = capture.stop()

offers = {}
for r in replies:
    b = bytes(r[UDP].payload)
    if len(b) < 240 or b[0] != 2:
        continue
    mac = dhcpwire.chaddr(b).hex()
    yiaddr = dhcpwire.yiaddr(b)
    if mac in offers and offers[mac] != yiaddr:
        fail(f"{mac} offered two addresses: {offers[mac]} and {yiaddr}")
    offers[mac] = yiaddr
    if r[IP].src != server_ip:
        fail(f"reply from {r[IP].src}")
if len(offers) != count:
    fail(f"{count} Pis sent DISCOVER in {sent_in:.2f} s, {len(offers)} got an OFFER "
         f"(the capture socket dropped {capture.drops})")
if len(set(offers.values())) != count:
    fail("two Pis were offered the same address")
print(f"ok: {count} Pis (sent in {sent_in:.2f} s) all got an OFFER, {len(set(offers.values()))} distinct addresses")
wrpcap(pcap_out, replies[:50])

if phase == "first":
    json.dump(offers, open(state_path, "w"))
else:
    before = json.load(open(state_path))
    moved = [m for m in before if before[m] != offers.get(m)]
    if moved:
        fail(f"{len(moved)} Pis were offered a different address after the restart, e.g. {moved[0]}: "
             f"{before[moved[0]]} -> {offers.get(moved[0])}")
    print(f"ok: after kill -9 and restart, all {count} Pis were offered the address they had")
