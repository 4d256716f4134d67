#!/usr/bin/python3
# Writes the seed corpora of the frame, flag and lease harnesses (tests/fuzz/corpus/{frames,flags,
# leases}) and the DHCP harness's copy of the Pi 3B capture (from tests/data/pi3b-discover.hex). The frames are real ones as scapy builds them, addressed to the harness's own
# address (02:00:00:00:00:01, 10.0.0.1/24), plus the Pi 3B ROM's captured DISCOVER. Run it again
# after changing a harness's input format: /usr/bin/python3 tests/fuzz/make_seeds.py
import os
import struct

from scapy.all import ARP, ICMP, IP, UDP, Dot1Q, Ether, Raw, fragment

HERE = os.path.dirname(os.path.abspath(__file__))
US_MAC, US_IP = "02:00:00:00:00:01", "10.0.0.1"
PI_MAC, PI_IP = "b8:27:eb:28:f6:6d", "10.0.0.50"


def write(kind, name, data):
    os.makedirs(os.path.join(HERE, "corpus", kind), exist_ok=True)
    with open(os.path.join(HERE, "corpus", kind, name), "wb") as f:
        f.write(data)


def frame(name, pkt, settings=1):
    # Settings byte: bit 0 verifies UDP checksums, bit 1 sets the subnet broadcast address.
    write("frames", name, bytes([settings]) + bytes(pkt))


pi3b = bytes.fromhex(open(os.path.join(HERE, "..", "data", "pi3b-discover.hex")).read().strip())
write("dhcp", "pi3b-discover", pi3b)  # the DHCP harness's seed: the same capture, raw
eth_pi = Ether(src=PI_MAC, dst=US_MAC)
frame("dhcp-pi3b-discover", Ether(src=PI_MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
      / UDP(sport=68, dport=67) / Raw(pi3b))
frame("dhcp-subnet-broadcast", Ether(src=PI_MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src=PI_IP, dst="10.0.0.255")
      / UDP(sport=68, dport=67) / Raw(pi3b), settings=3)
frame("tftp-rrq", eth_pi / IP(src=PI_IP, dst=US_IP) / UDP(sport=49152, dport=69)
      / Raw(b"\x00\x01start4.elf\x00octet\x00blksize\x001024\x00tsize\x000\x00"))
frame("tftp-ack-no-checksum", eth_pi / IP(src=PI_IP, dst=US_IP) / UDP(sport=49152, dport=50000, chksum=0)
      / Raw(b"\x00\x04\x00\x01"), settings=1)
frame("tftp-ack-unverified", eth_pi / IP(src=PI_IP, dst=US_IP) / UDP(sport=49152, dport=50000) / Raw(b"\x00\x04\x00\x01"),
      settings=0)
frame("arp-request", Ether(src=PI_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=PI_MAC, psrc=PI_IP, pdst=US_IP))
frame("arp-reply", eth_pi / ARP(op=2, hwsrc=PI_MAC, psrc=PI_IP, hwdst=US_MAC, pdst=US_IP))
frame("arp-other", Ether(src=PI_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=PI_MAC, psrc=PI_IP, pdst="10.0.0.9"))
frame("icmp-echo", eth_pi / IP(src=PI_IP, dst=US_IP) / ICMP(type=8, id=7, seq=1) / Raw(b"x" * 56))
frame("icmp-unreachable", eth_pi / IP(src=PI_IP, dst=US_IP) / ICMP(type=3, code=3) / Raw(b"\x00" * 28))
frags = fragment(eth_pi / IP(src=PI_IP, dst=US_IP) / UDP(sport=49152, dport=69) / Raw(b"\x00\x01" + b"a" * 1600),
                 fragsize=512)
frame("ip-fragment-first", frags[0])
frame("ip-fragment-later", frags[1])
frame("ip-options", eth_pi / IP(src=PI_IP, dst=US_IP, options=b"\x01\x01\x01\x00") / UDP(sport=1, dport=69) / Raw(b"\x00\x01a\x00octet\x00"))
frame("vlan-tagged", Ether(src=PI_MAC, dst=US_MAC) / Dot1Q(vlan=10) / IP(src=PI_IP, dst=US_IP) / UDP(sport=68, dport=67))
frame("ipv6", Ether(src=PI_MAC, dst=US_MAC, type=0x86DD) / Raw(b"\x60" + b"\x00" * 39))
frame("other-host", Ether(src=PI_MAC, dst="02:00:00:00:00:02") / IP(src=PI_IP, dst="10.0.0.2") / UDP(sport=1, dport=69))
frame("runt", bytes(eth_pi)[:10])
frame("udp-short-length", eth_pi / IP(src=PI_IP, dst=US_IP) / UDP(sport=1, dport=69, len=4) / Raw(b"abcd"))

flags = [
    ["--tftp-root", "/srv/tftp", "--listen", "0.0.0.0", "--workers", "2", "--max-transfers", "5000"],
    ["--dhcp", "server", "--listen", "0.0.0.0", "--subnet", "10.1.0.0/16", "--pool", "10.1.1.0-10.1.8.255",
     "--router", "10.1.0.1", "--dns", "10.1.0.1", "--lease-time", "600", "--state", "/var/lib/rackboot",
     "--reserve", "02:00:00:00:00:99=10.1.0.99", "--reserve", "12345678=10.1.0.98"],
    ["--dhcp", "proxy", "--listen", "0.0.0.0", "--pi-ouis", "b8:27:eb,dc:a6:32,e4:5f:01", "--dhcp-interface", "eth0"],
    ["--backend", "dpdk", "--ip", "10.0.0.1/24", "--gateway", "10.0.0.254", "--port", "net_af_packet0",
     "--eal", "--no-huge -m 512 --vdev=net_af_packet0,iface=veth1"],
    ["--board", "01020304=/srv/pi/a", "--board", "dc-a6-32-01-02-03=/srv/pi/b", "--api", "127.0.0.1:8069",
     "--cpus", "0,1", "--mtu=9000", "--max-windowsize=64", "--timeout-ms=500", "--retries=3", "--check-config"],
]
for i, args in enumerate(flags):
    write("flags", f"cmdline-{i}", b"\x00".join(a.encode() for a in args))

# Leases: a row count, 12-byte rows (ip hi/lo, MAC index, state, expiry offset, serial, has_serial,
# 2 spare), then 5-byte operations (kind, MAC index, ip hi/lo, clock step).
def row(lo, mac, state, exp, serial=0, has=0, hi=1):
    return bytes([hi, lo, mac, state, exp & 0xff]) + struct.pack(">I", serial) + bytes([has, 0, 0])

def op(kind, mac, lo, step=0, hi=1):
    return bytes([kind, mac, hi, lo, step])

rows = [row(0x10, 1, 2, 30), row(0x11, 1, 1, 30), row(0x12, 2, 4, 60), row(0x64, 3, 2, 100), row(0x01, 4, 2, 10),
        row(0x13, 5, 3, -5), row(0x14, 0, 1, 50)]
ops = [op(0, 1, 0), op(1, 1, 0x10), op(0, 6, 0x12), op(1, 6, 0x12), op(0, 16, 0), op(2, 1, 0x10), op(3, 6, 0x12),
       op(4, 7, 0), op(0, 0x30 | 8, 0x65), op(0, 9, 0, 0x40)]
write("leases", "restored-then-served", bytes([len(rows)]) + b"".join(rows) + b"".join(ops))
write("leases", "empty-then-exhausted", bytes([0]) + b"".join(op(0, m, 0) for m in range(1, 15)))
