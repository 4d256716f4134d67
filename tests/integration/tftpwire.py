"""Raw TFTP over UDP for integration tests: build packets byte by byte, so tests can do what
real clients never do (and what Pi bootloaders do): abort after OACK, race, repeat requests."""
import socket
import struct
import urllib.request

RRQ, WRQ, DATA, ACK, ERROR, OACK = 1, 2, 3, 4, 5, 6


def rrq(name, mode="octet", opcode=RRQ, **options):
    body = struct.pack("!H", opcode) + name.encode("latin-1") + b"\0" + mode.encode() + b"\0"
    for k, v in options.items():
        body += k.encode() + b"\0" + str(v).encode() + b"\0"
    return body


def ack(block):
    return struct.pack("!HH", ACK, block & 0xFFFF)


def error(code=0, msg="Early terminate"):
    return struct.pack("!HH", ERROR, code) + msg.encode() + b"\0"


def parse(pkt):
    op = struct.unpack("!H", pkt[:2])[0]
    if op == DATA:
        return op, struct.unpack("!H", pkt[2:4])[0], pkt[4:]
    if op == ERROR:
        return op, struct.unpack("!H", pkt[2:4])[0], pkt[4:].split(b"\0")[0].decode()
    if op == OACK:
        parts = pkt[2:].split(b"\0")[:-1]
        return op, None, {parts[i].decode().lower(): parts[i + 1].decode() for i in range(0, len(parts), 2)}
    return op, None, pkt[2:]


class Client:
    """One client socket (one client TID)."""

    def __init__(self, host, port, src="127.0.0.1"):
        self.server = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((src, 0))
        self.peer = None

    def send_request(self, data):
        self.sock.sendto(data, self.server)

    def send(self, data):
        self.sock.sendto(data, self.peer)

    def recv(self, timeout=2.0):
        """Next packet as (opcode, block/code, payload/options), or None on timeout."""
        self.sock.settimeout(timeout)
        try:
            data, addr = self.sock.recvfrom(70000)
        except socket.timeout:
            return None
        if self.peer is None:
            self.peer = addr
        assert addr == self.peer, f"packet from a second server TID {addr} (first {self.peer})"
        return parse(data)

    def finish(self, first, blksize=512):
        """Given the first reply (OACK or DATA 1), ACKs to the end and returns the bytes."""
        out = bytearray()
        if first[0] == OACK:
            blksize = int(first[2].get("blksize", blksize))
            self.send(ack(0))
            first = self.recv()
        expected = 1
        pkt = first
        while True:
            assert pkt is not None, "transfer stalled"
            assert pkt[0] == DATA, f"expected DATA, got {pkt}"
            assert pkt[1] == expected & 0xFFFF, f"block {pkt[1]}, expected {expected & 0xFFFF}"
            out += pkt[2]
            self.send(ack(pkt[1]))
            if len(pkt[2]) < blksize:
                return bytes(out)
            expected += 1
            pkt = self.recv()

    def close(self):
        self.sock.close()


def metrics(api):
    text = urllib.request.urlopen(f"http://{api}/metrics", timeout=5).read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            # Counters are integers; the process's series (CPU seconds, start time) are not.
            out[key] = int(value) if value.lstrip("-").isdigit() else float(value)
    return out
