"""Clients that only hold slots against the API endpoint (issue 18 #4). Commands:

  streams HOST PORT TFTP  event-stream slots: 4 per address (a 5th and 6th get 429), a full house
                          of 16 still lets a newcomer in (the squatter that delivered nothing
                          longest is ended), and two subscribers that never read while events
                          flow are cut within a few heartbeats (rackbootd runs with
                          --api-heartbeat 1) while one that reads keeps its stream
  crowd HOST PORT SECS    64 idle connections from four addresses, each reopened as soon as the
                          server closes it, while a scraper on a fifth asks /metrics 20 times:
                          every answer must be 200
Loopback only (127.0.0.0/8); bounded in count and time throughout."""
import selectors
import socket
import struct
import sys
import threading
import time
from checks import fail

cmd = sys.argv[1]




def status_of(data):
    line = data.split(b"\r\n", 1)[0]
    parts = line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def subscribe(host, port, src, query="", rcvbuf=None):
    """Opens GET /api/v1/events?QUERY from SRC; returns (socket, status, what came after the head)."""
    s = socket.socket()
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((src, 0))
    s.settimeout(3)
    s.connect((host, port))
    s.sendall(f"GET /api/v1/events{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        more = s.recv(4096)
        if not more:
            break
        head += more
    return s, status_of(head), head.split(b"\r\n\r\n", 1)[-1]


def ended(s, within):
    """True when the server ends the stream (EOF or reset) within WITHIN seconds."""
    deadline = time.time() + within
    s.settimeout(0.2)
    while time.time() < deadline:
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def metrics(host, port, src="127.0.0.1"):
    s = socket.create_connection((host, port), timeout=3, source_address=(src, 0))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        more = s.recv(65536)
        if not more:
            break
        data += more
    s.close()
    return data


def metric(host, port, name):
    for line in metrics(host, port).decode().splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    fail(f"no {name} in /metrics")


def rrq_flood(host, tftp_port, count):
    """COUNT read requests for a file that is not there: each is a transfer, so an event."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    name = b"no-such-file-" + b"x" * 80
    for i in range(count):
        u.sendto(b"\x00\x01" + name + str(i).encode() + b"\x00octet\x00", (host, tftp_port))
        if i % 200 == 199:
            time.sleep(0.02)
    u.close()


if cmd == "streams":
    host, port, tftp = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    nothing = "?serial=ffffffff"  # a filter no event matches
    first = []
    for i in range(6):
        s, status, _ = subscribe(host, port, "127.0.0.2", nothing)
        want = 200 if i < 4 else 429
        if status != want:
            fail(f"stream {i + 1} from 127.0.0.2 got {status}, expected {want}")
        first.append(s)
    for s in first[4:]:
        s.close()
    first = first[:4]
    squatters = []
    for src in ("127.0.0.3", "127.0.0.4", "127.0.0.5"):
        for i in range(4):
            s, status, _ = subscribe(host, port, src, nothing)
            if status != 200:
                fail(f"stream {i + 1} from {src} got {status}, expected 200 (16 slots in all)")
            squatters.append(s)
    print("streams: 4 per address (the 5th and 6th from one address got 429), 16 held")
    newcomer, status, _ = subscribe(host, port, "127.0.0.6")
    if status != 200:
        fail(f"a newcomer with all 16 slots held got {status}, expected 200")
    if not ended(first[0], 3):
        fail("the oldest squatter's stream did not end when the newcomer took its slot")
    print("streams: a newcomer on a full house got its stream; the oldest idle squatter was ended")
    for s in first[1:] + squatters:
        s.close()
    newcomer.close()
    time.sleep(0.5)

    # Two that never read (a small receive window), one that reads, while events flow.
    stuck = [subscribe(host, port, "127.0.0.8", rcvbuf=2048)[0] for _ in range(2)]
    reader, status, _ = subscribe(host, port, "127.0.0.9")
    if status != 200:
        fail(f"the reading subscriber got {status}")
    got = [0]
    stop = threading.Event()

    def read_all():
        reader.settimeout(0.5)
        while not stop.is_set():
            try:
                data = reader.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            got[0] += data.count(b"\nevent: ")

    t = threading.Thread(target=read_all)
    t.start()
    rrq_flood(host, tftp, 3000)
    time.sleep(7)  # 4 heartbeats of 1 s, and some; reading now would drain them
    cut = [ended(s, 3) for s in stuck]
    time.sleep(1.5)  # the reader keeps reading keep-alives past another heartbeat or two
    alive = t.is_alive()
    stop.set()
    t.join()
    stalled = metric(host, port, 'rackboot_api_refused_total{reason="stream_stalled"}')
    print(f"streams: the reader saw {got[0]} events; {sum(cut)} of 2 that never read were cut; "
          f"stream_stalled={stalled}")
    if not all(cut):
        fail("a subscriber that never read kept its stream")
    if not alive or got[0] < 1000:
        fail(f"the reading subscriber lost its stream (alive={alive}, {got[0]} events)")
    if stalled < 2:
        fail(f"stream_stalled is {stalled}, expected 2 or more")
    reader.close()
elif cmd == "crowd":
    host, port, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    sel = selectors.DefaultSelector()
    sources = ["127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13"]
    reopened = [0]

    def open_one(src):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.bind((src, 0))
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        sel.register(s, selectors.EVENT_READ, src)

    for src in sources:
        for _ in range(16):
            open_one(src)
    stop = threading.Event()

    def hold():
        # Bounded: at most SECONDS + 5, and a reopen per close.
        end = time.time() + seconds + 5
        while not stop.is_set() and time.time() < end:
            for key, _ in sel.select(0.05):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    continue
                sel.unregister(s)
                s.close()
                open_one(key.data)
                reopened[0] += 1

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.5)
    answered = 0
    worst = 0.0
    start = time.time()
    for i in range(20):
        t0 = time.time()
        try:
            r = metrics(host, port, src="127.0.0.14")
        except OSError as e:
            stop.set()
            t.join()
            fail(f"scrape {i + 1} of 20 from a fifth address failed: {e} (after {answered} answered)")
        if status_of(r) != 200:
            stop.set()
            t.join()
            fail(f"scrape {i + 1} of 20 got {r[:80]!r}")
        answered += 1
        worst = max(worst, time.time() - t0)
        time.sleep(max(0.0, seconds / 20 - (time.time() - t0)))
    stop.set()
    t.join()
    print(f"crowd: 20 of 20 scrapes from a fifth address answered in {time.time() - start:.1f} s "
          f"(slowest {worst * 1000:.0f} ms) while 64 held connections were reopened {reopened[0]} times")
else:
    fail(f"unknown command {cmd}")
