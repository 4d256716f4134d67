"""A client on a bad network: it loses DATA, repeats ACKs and (with a window) sees gaps. The server
must recover by its retransmit timer alone and deliver the exact file."""
import random
import sys

from tftpwire import ACK, DATA, OACK, Client, ack, metrics, rrq

host, port, api, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
expected = open(path, "rb").read()
rng = random.Random(1631)


def lossy_fetch(window, loss=0.08, dup=0.08):
    c = Client(host, port)
    opts = {"blksize": 512, "tsize": 0}
    if window > 1:
        opts["windowsize"] = window
    c.send_request(rrq("file.bin", **opts))
    first = c.recv()
    assert first[0] == OACK, first
    window = int(first[2].get("windowsize", 1))
    c.send(ack(0))
    out = bytearray()
    expected_block = 1
    in_window = 0
    while True:
        pkt = c.recv(timeout=3)
        assert pkt is not None, f"stalled at block {expected_block}"
        if pkt[0] != DATA:
            raise AssertionError(f"unexpected {pkt}")
        if rng.random() < loss:
            continue  # lost on the way
        block = pkt[1]
        if block != expected_block & 0xFFFF:
            # A gap or a resend of something we have: ACK what we hold in order (RFC 7440).
            c.send(ack(expected_block - 1))
            in_window = 0
            continue
        out += pkt[2]
        expected_block += 1
        in_window += 1
        last = len(pkt[2]) < 512
        if last or in_window == window:
            c.send(ack(block))
            if rng.random() < dup:
                c.send(ack(block))
            in_window = 0
        if last:
            c.close()
            return bytes(out)


m0 = metrics(api)
for window in (1, 1, 8):
    data = lossy_fetch(window)
    if data != expected:
        print(f"FAIL: windowsize {window}: {len(data)} bytes differ from the file's {len(expected)}")
        sys.exit(1)
    print(f"ok: windowsize {window}: exact copy through loss and duplicate ACKs")
# The last ACK of each transfer may still be in flight to the server: wait for it (bounded).
import time
deadline = time.time() + 5
while True:
    m1 = metrics(api)
    done = m1['rackboot_tftp_transfers_total{result="complete"}'] - m0.get('rackboot_tftp_transfers_total{result="complete"}', 0)
    if done >= 3 or time.time() > deadline:
        break
    time.sleep(0.05)
retrans = m1["rackboot_tftp_retransmits_total"] - m0.get("rackboot_tftp_retransmits_total", 0)
dups = m1['rackboot_tftp_quirks_total{quirk="duplicate_ack"}'] - m0.get('rackboot_tftp_quirks_total{quirk="duplicate_ack"}', 0)
assert retrans > 0 and dups > 0 and done == 3, (retrans, dups, done)
print(f"ok: {retrans} retransmits on timeout, {dups} duplicate ACKs ignored, 3 complete")
