#!/usr/bin/env python3
"""An event-stream client over a raw socket, for event_stream.sh.

sse_reader.py HOST:PORT PATH OUT.json [--last-event-id ID] [--hold FILE] [--until FILE] [--idle S] [--max S]
              [--rcvbuf N]

Reads GET PATH as Server-Sent Events (HTTP/1.0: the stream ends when the connection closes) and
writes its frames to OUT.json as [{"id": ..., "event": ..., "data": ...}], plus "retry" (the
hint) and "status". --hold FILE: after the first event, stops reading until FILE exists (a
subscriber that falls behind; --rcvbuf keeps the kernel from holding much for it). Ends when
nothing came for --idle seconds after the first event (and once --until FILE exists, or --hold's),
or after --max seconds in all.
"""
import argparse
import json
import os
import select
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("path")
    ap.add_argument("out")
    ap.add_argument("--last-event-id")
    ap.add_argument("--hold")
    ap.add_argument("--until")
    ap.add_argument("--idle", type=float, default=3.0)
    ap.add_argument("--max", type=float, default=120.0)
    ap.add_argument("--rcvbuf", type=int, default=0)
    a = ap.parse_args()
    host, port = a.addr.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if a.rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.connect((host, int(port)))
    head = f"GET {a.path} HTTP/1.0\r\nHost: {a.addr}\r\nAccept: text/event-stream\r\n"
    if a.last_event_id is not None:
        head += f"Last-Event-ID: {a.last_event_id}\r\n"
    s.sendall((head + "\r\n").encode())
    start = time.monotonic()
    buf = b""
    frames = []
    out = {"status": None, "retry": None, "frames": frames}
    headers_done = False
    cur = {}
    last_data = None
    held = False
    while time.monotonic() - start < a.max:
        if a.hold and frames and not held:
            # Behind on purpose: nothing is read until the test says so.
            while time.monotonic() - start < a.max:
                try:
                    open(a.hold).close()
                    break
                except FileNotFoundError:
                    time.sleep(0.1)
            held = True
            last_data = time.monotonic()
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            done = a.until is None or os.path.exists(a.until)
            if done and last_data is not None and frames and time.monotonic() - last_data > a.idle:
                break
            continue
        chunk = s.recv(65536)
        if not chunk:
            break
        last_data = time.monotonic()
        buf += chunk
        if not headers_done:
            if b"\r\n\r\n" not in buf:
                continue
            head_text, buf = buf.split(b"\r\n\r\n", 1)
            out["status"] = int(head_text.split(b" ", 2)[1])
            headers_done = True
            if out["status"] != 200:
                out["body"] = buf.decode(errors="replace")
                break
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            line = line.decode().rstrip("\r")
            if line == "":
                if "data" in cur:
                    frames.append(cur)
                cur = {}
            elif line.startswith(":"):
                continue
            else:
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "retry":
                    out["retry"] = int(value)
                elif name == "id":
                    cur["id"] = int(value)
                elif name == "event":
                    cur["event"] = value
                elif name == "data":
                    cur["data"] = json.loads(value)
    s.close()
    with open(a.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
