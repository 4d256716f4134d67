"""A hostile HTTP client against the API endpoint (issue 9.5). Commands:

  bodies HOST PORT PID     four 1 GiB POSTs to /metrics at once (Content-Length), one chunked:
                           each must be refused 413 before its body is read, and the daemon's
                           resident memory must not grow by more than 8 MiB
  methods HOST PORT        405 (with Allow) for methods /metrics lacks, 404 elsewhere, HEAD works
  siege HOST PORT SECONDS  1,000 idle connections from 127.0.0.2 and 8 slow ones from 127.0.0.3
                           (a header line a second); prints "ready", then for SECONDS asks
                           /metrics from 127.0.0.1 every 0.5 s (each must answer within 2 s),
                           and at the end checks the slow ones were cut at the deadline
Bounded in count and time throughout."""
import select
import socket
import sys
import threading
import time
from checks import fail

cmd = sys.argv[1]




def status_of(data):
    line = data.split(b"\r\n", 1)[0]
    parts = line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def request(host, port, raw, src="127.0.0.1", timeout=2.0):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect((host, port))
    s.sendall(raw)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and b"Content-Length" not in data.split(b"\r\n\r\n")[0]:
                break
            head, _, body = data.partition(b"\r\n\r\n")
            for h in head.split(b"\r\n"):
                if h.lower().startswith(b"content-length:") and len(body) >= int(h.split(b":")[1]):
                    s.close()
                    return data
    except socket.timeout:
        pass
    s.close()
    return data


def connect_idle(host, port, count, batch=64):
    """count idle connections from 127.0.0.2, a batch (half the daemon's listen backlog of 128)
    at a time, each batch let out only once the daemon has taken it off the backlog: all but the
    16 it lets in per address are then closed (EOF). Sent all at once, the SYNs beyond the backlog
    are dropped and retried 1, 3, 7 and 15 s later, so how many arrive within the siege depended
    on how fast the daemon drained it (ASan: 905 of 1,000)."""
    idle = []
    poller = select.poll()
    closed = set()
    for start in range(0, count, batch):
        for _ in range(min(batch, count - start)):
            s = socket.socket()
            s.bind(("127.0.0.2", 0))
            s.setblocking(False)
            try:
                s.connect((host, port))
            except BlockingIOError:
                pass
            idle.append(s)
            poller.register(s, select.POLLIN)
        deadline = time.time() + 2
        while len(idle) - len(closed) > 16 and time.time() < deadline:
            for fd, _ in poller.poll(100):
                closed.add(fd)
                poller.unregister(fd)
    return idle


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def big_post(host, port, chunked, results, i):
    """Streams up to 1 GiB (bounded by 10 s) and reports the status the server answered."""
    s = socket.socket()
    s.settimeout(10)
    s.connect((host, port))
    head = b"POST /metrics HTTP/1.1\r\nHost: x\r\n"
    head += b"Transfer-Encoding: chunked\r\n\r\n" if chunked else b"Content-Length: 1073741824\r\n\r\n"
    s.sendall(head)
    block = b"\0" * 65536
    if chunked:
        block = b"10000\r\n" + block + b"\r\n"
    sent = 0
    deadline = time.time() + 10
    answer = b""
    s.setblocking(False)
    while sent < (1 << 30) and time.time() < deadline:
        try:
            answer += s.recv(4096)
            if answer:
                break
        except BlockingIOError:
            pass
        except OSError:
            break
        try:
            sent += s.send(block)
        except BlockingIOError:
            time.sleep(0.001)
        except OSError:
            break
    s.setblocking(True)
    s.settimeout(2)
    try:
        while b"\r\n" not in answer:
            more = s.recv(4096)
            if not more:
                break
            answer += more
    except OSError:
        pass
    s.close()
    results[i] = (status_of(answer), sent)


if cmd == "bodies":
    host, port, pid = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    before = rss_kib(pid)
    results = [None] * 5
    threads = [threading.Thread(target=big_post, args=(host, port, i == 4, results, i)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    after = rss_kib(pid)
    for i, (status, sent) in enumerate(results):
        kind = "chunked" if i == 4 else "Content-Length 1 GiB"
        if status != 413:
            fail(f"POST /metrics ({kind}) got {status} after {sent} bytes, expected 413")
    grew = after - before
    print(f"bodies: 5 POSTs of 1 GiB refused 413 after sending at most {max(r[1] for r in results) >> 20} MiB; "
          f"RSS {before} -> {after} KiB")
    if grew > 8192:
        fail(f"the daemon's RSS grew by {grew} KiB")
elif cmd == "methods":
    host, port = sys.argv[2], int(sys.argv[3])
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = request(host, port, f"{method} /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
        if status_of(r) != 405 or b"Allow: GET, HEAD" not in r:
            fail(f"{method} /metrics: {r[:200]!r}")
    r = request(host, port, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
    if status_of(r) != 404:
        fail(f"GET /nope: {r[:200]!r}")
    r = request(host, port, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    if status_of(r) != 200:
        fail(f"HEAD /metrics: {r[:200]!r}")
    print("methods: POST/PUT/DELETE/PATCH /metrics 405 with Allow, /nope 404, HEAD 200")
elif cmd == "siege":
    host, port, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    idle = connect_idle(host, port, 1000)
    slow = []
    for _ in range(8):
        s = socket.socket()
        s.bind(("127.0.0.3", 0))
        s.settimeout(2)
        s.connect((host, port))
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        slow.append(s)
    print("ready")
    sys.stdout.flush()
    start = time.time()
    worst = 0.0
    answered = 0
    cut = set()
    while time.time() - start < seconds:
        t = time.time()
        r = request(host, port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=2.0)
        took = time.time() - t
        if status_of(r) != 200 or b"rackboot_api_connections" not in r:
            fail(f"/metrics did not answer under siege after {time.time() - start:.1f} s: {r[:120]!r}")
        answered += 1
        worst = max(worst, took)
        for i, s in enumerate(slow):  # one header line each a second keeps them from idling out
            if i in cut:
                continue
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                cut.add(i)
        time.sleep(0.5)
    for i, s in enumerate(slow):
        if i in cut:
            continue
        try:
            s.settimeout(0.5)
            if s.recv(1) == b"":
                cut.add(i)
        except socket.timeout:
            pass
        except OSError:
            cut.add(i)
    print(f"siege: /metrics answered {answered} times in {seconds:.0f} s (slowest {worst * 1000:.0f} ms); "
          f"{len(cut)} of 8 slow clients cut")
    if len(cut) != 8:
        fail(f"only {len(cut)} of the 8 slow clients were cut at the deadline")
else:
    fail(f"unknown command {cmd}")
