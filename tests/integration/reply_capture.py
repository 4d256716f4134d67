"""Captures the DHCP replies (UDP to port 68) arriving on an interface without losing any to a
slow reader: a raw AF_PACKET socket with a 64 MiB receive buffer (SO_RCVBUFFORCE, root only,
not capped by net.core.rmem_max) read by a thread that only stores bytes; scapy dissects them
after the capture stops. scapy's own sniffer keeps a 64 KiB buffer and dissects every frame as
it arrives, so on a loaded machine it dropped some of 1,000 replies the server had sent.
The kernel's own count of frames dropped for this socket is kept, so a failing test can tell
a lost reply from one never sent."""
import socket
import struct
import threading

from scapy.all import Ether

ETH_P_IP = 0x0800
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33  # <asm-generic/socket.h>; Python does not name it


class ReplyCapture:
    def __init__(self, iface, port=68):
        self.port = port
        self.frames = []
        self.drops = 0
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
        self.sock.bind((iface, ETH_P_IP))
        self.sock.settimeout(0.05)
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _wanted(self, b):
        if len(b) < 14 + 20 + 8 or b[12:14] != b"\x08\x00" or b[23] != 17:
            return False
        ihl = (b[14] & 0x0f) * 4
        return len(b) >= 14 + ihl + 8 and struct.unpack_from("!H", b, 14 + ihl + 2)[0] == self.port

    def _read(self):
        while self.running:
            try:
                b, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            if addr[2] != PACKET_OUTGOING and self._wanted(b):
                self.frames.append(b)

    def __len__(self):
        return len(self.frames)

    def stop(self):
        """Stops reading and returns the replies as scapy packets, in arrival order."""
        self.running = False
        self.thread.join()
        packets, drops = struct.unpack("II", self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
        self.drops = drops
        self.sock.close()
        return [Ether(b) for b in self.frames]
