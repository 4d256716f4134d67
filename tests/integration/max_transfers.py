"""--max-transfers N means the same on every backend and worker count: N transfers at once in all,
however the clients fall on workers. Opens N transfers from one client address (one worker owns
an address, so that worker must hold all N), each left unacknowledged so it stays open, then asks
for one more: that one is refused with "transfer limit reached" (not "server busy", which is a
worker's table running out below the cap)."""
import sys

from tftpwire import DATA, ERROR, Client, rrq

host, port, src, cap = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
open_clients = []
for i in range(cap):
    c = Client(host, port, src)
    c.send_request(rrq("file.bin"))
    reply = c.recv()
    if reply is None or reply[0] != DATA:
        print(f"FAIL: transfer {i + 1} of {cap} from one address was not started: {reply}")
        sys.exit(1)
    open_clients.append(c)
print(f"ok: {cap} transfers open from {src}")
extra = Client(host, port, src)
extra.send_request(rrq("file.bin"))
reply = extra.recv()
if reply is None or reply[0] != ERROR or "transfer limit reached" not in reply[2]:
    print(f"FAIL: transfer {cap + 1} should be refused at the cap, got {reply}")
    sys.exit(1)
print(f"ok: transfer {cap + 1} refused: {reply[2]}")
