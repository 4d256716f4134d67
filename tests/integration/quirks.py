"""Each Raspberry Pi bootloader quirk from PI-BOOT.md, played over real UDP against rackbootd,
with the counter it must move and the outcome the Pi needs."""
import sys
import time

from tftpwire import ACK, DATA, ERROR, OACK, Client, ack, error, metrics, rrq

host, port, api, root = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
expected_file = open(f"{root}/start4.elf", "rb").read()
SIZE = len(expected_file)


def delta(before, after, key):
    return after.get(key, 0) - before.get(key, 0)


def q(name):
    return f'rackboot_tftp_quirks_total{{quirk="{name}"}}'


def result(name):
    return f'rackboot_tftp_transfers_total{{result="{name}"}}'


def settle():
    time.sleep(0.2)


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)
    print(f"ok: {what}")


# 1. Pi 4 existence probe: RRQ tsize 0 -> OACK (with the size) -> ERROR; then the real fetch
#    from a new port (probe then restart).
m0 = metrics(api)
probe = Client(host, port)
probe.send_request(rrq("start4.elf", tsize=0, blksize=1024))
reply = probe.recv()
check(reply[0] == OACK and reply[2]["tsize"] == str(SIZE), "probe gets an OACK with tsize")
probe.send(error(0, "Early terminate"))
fetch = Client(host, port)
fetch.send_request(rrq("start4.elf", tsize=0, blksize=1024))
data = fetch.finish(fetch.recv())
check(data == expected_file, "the fetch after the probe is complete and correct")
settle()
m1 = metrics(api)
check(delta(m0, m1, q("probe_abort")) == 1, "probe_abort counted once")
check(delta(m0, m1, q("probe_restart")) == 1, "probe_restart counted once")
check(delta(m0, m1, result("probe")) == 1, "the probe counts as a probe")
check(delta(m0, m1, result("aborted")) == 0, "the probe is not counted as aborted")
check(delta(m0, m1, result("complete")) == 1, "the fetch counts as complete")
check(delta(m0, m1, result("error")) == 0 and delta(m0, m1, result("timeout")) == 0, "a probe is not a failure")

# 1b. The same, with the restart RRQ reaching the server before the probe's ERROR.
m0b = metrics(api)
probe = Client(host, port)
probe.send_request(rrq("start4.elf", tsize=0, blksize=1024))
check(probe.recv()[0] == OACK, "reordered: probe gets an OACK")
fetch = Client(host, port)
fetch.send_request(rrq("start4.elf", tsize=0, blksize=1024))
first = fetch.recv()
probe.send(error(0, "Early terminate"))
data = fetch.finish(first)
check(data == expected_file, "reordered: the fetch is complete and correct")
settle()
m1b = metrics(api)
check(delta(m0b, m1b, q("probe_abort")) == 1 and delta(m0b, m1b, q("probe_restart")) == 1,
      "reordered: probe_abort and probe_restart counted once each")
check(delta(m0b, m1b, result("probe")) == 1 and delta(m0b, m1b, result("aborted")) == 0,
      "reordered: the probe counts as a probe")
m1 = m1b

# 2. RRQ race (firmware#1700): RRQ -> OACK -> ACK 0 -> second RRQ from a new port.
first = Client(host, port)
first.send_request(rrq("start4.elf", tsize=0, blksize=1468))
check(first.recv()[0] == OACK, "race: first RRQ gets an OACK")
first.send(ack(0))
check(first.recv()[0] == DATA, "race: first transfer sends DATA 1")
second = Client(host, port)
second.send_request(rrq("start4.elf", tsize=0, blksize=1468))
data = second.finish(second.recv())
check(data == expected_file, "race: the second transfer completes correctly")
check(first.recv(timeout=1.3) is None, "race: the first transfer is dropped (no retransmit)")
settle()
m2 = metrics(api)
check(delta(m1, m2, q("rrq_race")) == 1, "rrq_race counted once")
check(delta(m1, m2, result("complete")) == 1 and delta(m1, m2, result("replaced")) == 1,
      "race: one complete, one replaced")
check(delta(m1, m2, result("aborted")) == 0, "race: nothing counted as aborted")

# 3. Retransmitted RRQ from the same port must not start a second transfer.
c = Client(host, port)
c.send_request(rrq("config.txt"))
c.send_request(rrq("config.txt"))
c.send_request(rrq("config.txt"))
data = c.finish(c.recv())  # Client asserts that every packet comes from one server TID
check(data == open(f"{root}/config.txt", "rb").read(), "retransmit: one transfer, correct data")
check(c.recv(timeout=0.5) is None, "retransmit: no second DATA 1 from another transfer")
settle()
m3 = metrics(api)
check(delta(m2, m3, q("rrq_retransmit")) == 2, "rrq_retransmit counted for both repeats")
check(delta(m2, m3, result("complete")) == 1, "retransmit: exactly one transfer")

# 4. Duplicate ACK: nothing is sent in answer (no Sorcerer's Apprentice, no duplicate DATA).
c = Client(host, port)
c.send_request(rrq("start4.elf"))
p1 = c.recv()
check(p1[0] == DATA and p1[1] == 1, "dup: DATA 1")
c.send(ack(1))
p2 = c.recv()
check(p2[0] == DATA and p2[1] == 2, "dup: DATA 2")
c.send(ack(1))
c.send(ack(1))
check(c.recv(timeout=0.5) is None, "dup: duplicate ACKs get no DATA")
c.send(ack(2))
check(c.recv()[1] == 3, "dup: the transfer goes on")
c.send(error(0, "done"))
settle()
m4 = metrics(api)
check(delta(m3, m4, q("duplicate_ack")) == 2, "duplicate_ack counted twice")

# 5. Silent probe: OACK, then silence, then a fresh RRQ for the same file from a new port.
silent = Client(host, port)
silent.send_request(rrq("start4.elf", tsize=0, blksize=1024))
check(silent.recv()[0] == OACK, "silent probe gets an OACK")
again = Client(host, port)
again.send_request(rrq("start4.elf", tsize=0, blksize=1024))
data = again.finish(again.recv())
check(data == expected_file, "silent probe: the restart completes")
check(silent.recv(timeout=1.3) is None, "silent probe: the abandoned OACK is not retransmitted")
settle()
m5 = metrics(api)
check(delta(m4, m5, q("probe_abort")) == 1 and delta(m4, m5, q("probe_restart")) == 1,
      "silent probe: probe_abort and probe_restart counted")
check(m5['rackboot_tftp_active_transfers'] == 0, "no transfer left behind")
print("all quirk sequences passed")
