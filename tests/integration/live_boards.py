"""Moves one board between two images as fast as the API takes it, until STOP_FILE exists (or
the time limit): PATCH /api/v1/boards/SERIAL {"image": ...} alternately, over keep-alive
connections from THREADS threads. Prints "mover: N changes in S s (R/s), F failed"."""
import http.client
import json
import os
import sys
import threading
import time

api, token, serial, img_a, img_b, stop_file, threads, limit_s = sys.argv[1:9]
host, port = api.rsplit(":", 1)
done = [0]
failed = [0]
lock = threading.Lock()
deadline = time.time() + float(limit_s)


def patch(conn, body):
    conn.request("PATCH", "/api/v1/boards/" + serial, body,
                 {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    return r.status == 200


def mover(k):
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    i = k
    while not os.path.exists(stop_file) and time.time() < deadline:
        image = img_a if i % 2 == 0 else img_b
        i += 1
        body = json.dumps({"image": image})
        try:
            ok = patch(conn, body)
        except (OSError, http.client.HTTPException):
            # The server closes a connection past its 10 s deadline: a keep-alive client opens
            # another and sends the (idempotent) change again. A second failure counts.
            conn.close()
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            try:
                ok = patch(conn, body)
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
        with lock:
            if ok:
                done[0] += 1
            else:
                failed[0] += 1


start = time.time()
ts = [threading.Thread(target=mover, args=(k,)) for k in range(int(threads))]
for t in ts:
    t.start()
for t in ts:
    t.join()
took = time.time() - start
print("mover: %d changes in %.1f s (%.0f/s), %d failed" % (done[0], took, done[0] / took, failed[0]))
