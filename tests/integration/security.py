"""Nothing outside the boot tree is ever served, and nothing is written."""
import sys

from tftpwire import ERROR, WRQ, Client, metrics, rrq

host, port, api = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def expect_error(name, code, what, **kw):
    c = Client(host, port)
    c.send_request(rrq(name, **kw))
    reply = c.recv()
    c.close()
    if reply is None or reply[0] != ERROR or reply[1] != code:
        print(f"FAIL: {what}: {name!r} got {reply}")
        sys.exit(1)
    print(f"ok: {what}: {name!r} -> ERROR {code} {reply[2]!r}")


m0 = metrics(api)
for name in ["../outside.txt", "a/../../outside.txt", "/etc/passwd", "..\\outside.txt", "dir\\..\\x",
             "a\x01b", "x" * 300, "y/" * 600 + "z", "sub/", "sub/../../outside.txt"]:
    expect_error(name, 2, "refused path")
for name in ["escape-link", "sub/escape-dir/outside.txt", "abs-link", "proc-link"]:
    expect_error(name, 2, "symlink out of the tree")
expect_error("sub", 2, "a directory is not a file")
expect_error("missing.bin", 1, "file not found")
expect_error("ok.txt", 2, "write request refused", opcode=WRQ)
expect_error("ok.txt", 8, "bad option value refused", blksize="abc")
m1 = metrics(api)


def d(reason):
    return m1[f'rackboot_drops_total{{reason="{reason}"}}'] - m0.get(f'rackboot_drops_total{{reason="{reason}"}}', 0)


checks = {"path_refused": 10, "path_escape": 4, "not_regular_file": 1, "not_found": 1, "write_request": 1,
          "options_refused": 1}
for reason, n in checks.items():
    if d(reason) != n:
        print(f"FAIL: drops{{reason={reason}}} moved by {d(reason)}, expected {n}")
        sys.exit(1)
    print(f"ok: drops{{reason={reason}}} += {n}")

# Malformed datagrams are counted and dropped, and the server still answers afterwards.
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for junk in [b"", b"\x00", b"\x00\x09abc", b"\x00\x01noterminator", b"\x00\x01a\x00badmode\x00", b"\x00\x04\x00\x01"]:
    s.sendto(junk, (host, port))
c = Client(host, port)
c.send_request(rrq("ok.txt"))
data = c.finish(c.recv())
assert data == b"fine\n", data
m2 = metrics(api)
malformed = m2['rackboot_drops_total{reason="malformed"}'] - m1.get('rackboot_drops_total{reason="malformed"}', 0)
unexpected = m2['rackboot_drops_total{reason="unexpected_opcode"}'] - m1.get('rackboot_drops_total{reason="unexpected_opcode"}', 0)
if malformed != 5 or unexpected != 1:
    print(f"FAIL: malformed {malformed} (want 5), unexpected_opcode {unexpected} (want 1)")
    sys.exit(1)
print("ok: malformed datagrams counted and dropped; service continues")
