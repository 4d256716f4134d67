"""DHCP packets for the tests, one copy of each builder and reader (beside tftpwire.py): BOOTP
messages from a template or from scratch, the Pi 4 EEPROM's DISCOVER options, a client's
broadcast frame, and the options, type and address of a reply. Bytes are built by hand (the
point is to send what a Pi sends, including its quirks); scapy only frames them."""
import struct

MAGIC = b"\x63\x82\x53\x63"
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE = 1, 2, 3, 4, 5, 6, 7
# What a Pi 4's EEPROM asks for in option 55 (PI-BOOT.md).
PI4_PARAMS = bytes([43, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135, 66, 1, 3])


def mac_text(mac):
    return ":".join(f"{b:02x}" for b in mac)


def bootp(xid, mac, options, op=1):
    """A BOOTP message (op 1: a client's) with `options` [(code, bytes)] after the magic cookie."""
    p = bytearray(236)
    p[0:4] = bytes([op, 1, 6, 0])
    p[4:8] = struct.pack("!I", xid)
    p[28:34] = mac
    p += MAGIC
    for code, data in options:
        p += bytes([code, len(data)]) + data
    p += b"\xff"
    return bytes(p)


def from_template(template, xid, mac):
    """A captured client message (a Pi's DISCOVER, say) with its xid and MAC replaced."""
    p = bytearray(template)
    p[4:8] = struct.pack("!I", xid)
    p[28:34] = mac
    return bytes(p)


def pi4_options(mac, serial, msg_type=DISCOVER):
    """The options of a Pi 4 EEPROM's DISCOVER: its PXE vendor class, and option 97 carrying the
    board's type, revision, the MAC's low four bytes and the serial (4 bytes, big-endian)."""
    guid = b"\x00RPi4" + b"\x00\xc0\x31\x12" + mac[2:6] + serial
    return [(53, bytes([msg_type])), (55, PI4_PARAMS), (93, b"\x00\x00"), (94, b"\x01\x02\x01"), (97, guid),
            (60, b"PXEClient:Arch:00000:UNDI:002001")]


def broadcast_frame(mac, payload):
    """`payload` as a client without an address sends it: from 0.0.0.0:68 to the broadcast :67."""
    from scapy.all import IP, UDP, Ether, Raw
    return Ether(src=mac_text(mac), dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") \
        / UDP(sport=68, dport=67) / Raw(bytes(payload))


def options_of(payload):
    """{code: bytes} of a BOOTP message's options (pads skipped; the last of a repeated code)."""
    out = {}
    opts, i = payload[240:], 0
    while i + 1 < len(opts) and opts[i] != 255:
        if opts[i] == 0:
            i += 1
            continue
        code, ln = opts[i], opts[i + 1]
        out[code] = bytes(opts[i + 2:i + 2 + ln])
        i += 2 + ln
    return out


def message_type(payload):
    """Option 53 of a reply (op 2), or None."""
    if len(payload) < 241 or payload[0] != 2:
        return None
    t = options_of(payload).get(53)
    return t[0] if t else None


def yiaddr(payload):
    return ".".join(str(x) for x in payload[16:20])


def chaddr(payload):
    return bytes(payload[28:34])
