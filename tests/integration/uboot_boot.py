"""Drives real netboot firmware: u-boot (qemu_arm64, under TCG) on a tap, against rackbootd.
It stops autoboot, runs `dhcp`, then `tftpboot` of a file with and without tftpwindowsize, and
compares the CRC32 u-boot prints with the file's. Every wait is bounded.

usage: uboot_boot.py NETNS TAP SERVER_IP FILE_PATH FILE_NAME LOG"""
import re
import subprocess
import sys
import time
import zlib

ns, tap, server_ip, path, name, log_path = sys.argv[1:7]
# TAP is a tap interface, or vhost:SOCKET for a vhost-user backend (DPDK's net_vhost) that the
# guest's shared memory is mapped into.
if tap.startswith("vhost:"):
    net_args = ["-chardev", f"socket,id=c0,path={tap[len('vhost:'):]}", "-netdev", "vhost-user,id=n0,chardev=c0",
                "-object", "memory-backend-memfd,id=mem,size=512M,share=on", "-machine", "virt,memory-backend=mem"]
else:
    net_args = ["-netdev", f"tap,id=n0,ifname={tap},script=no,downscript=no"]
want_crc = f"{zlib.crc32(open(path, 'rb').read()) & 0xffffffff:08x}"
size = len(open(path, "rb").read())
log = open(log_path, "wb")

qemu = subprocess.Popen(
    ["ip", "netns", "exec", ns, "qemu-system-aarch64", "-machine", "virt", "-cpu", "cortex-a57", "-m", "512",
     "-nographic", "-monitor", "none", "-bios", "/usr/lib/u-boot/qemu_arm64/u-boot.bin",
     *net_args, "-device", "virtio-net-pci,netdev=n0"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
seen = b""


def fail(msg):
    print("FAIL:", msg)
    print(seen.decode(errors="replace")[-3000:])
    qemu.kill()
    sys.exit(1)


def expect(pattern, timeout):
    """Waits for `pattern`; patterns end with a delimiter, so a number read half-way cannot match."""
    global seen
    rx = re.compile(pattern)
    deadline = time.time() + timeout
    import os
    import select
    os.set_blocking(qemu.stdout.fileno(), False)
    while time.time() < deadline:
        m = rx.search(seen)
        if m:
            seen = seen[m.end():]
            return m
        r, _, _ = select.select([qemu.stdout], [], [], 0.5)
        if r:
            chunk = qemu.stdout.read(65536) or b""
            log.write(chunk)
            log.flush()
            seen += chunk
        if qemu.poll() is not None:
            fail("qemu exited")
    fail(f"timed out after {timeout} s waiting for {pattern!r}")


def send(line):
    # The emulated UART drops characters sent in a burst: type like a person would.
    for ch in line.encode() + b"\n":
        qemu.stdin.write(bytes([ch]))
        time.sleep(0.005)


expect(rb"Hit any key to stop autoboot", 120)
send("")
expect(rb"=> ", 30)
send("setenv autoload no")
expect(rb"=> ", 10)
send("dhcp")
m = expect(rb"DHCP client bound to address ([0-9.]+) ", 120)
print(f"ok: u-boot's dhcp bound {m.group(1).decode()}")
expect(rb"=> ", 10)
send(f"setenv serverip {server_ip}")
expect(rb"=> ", 10)
for window in (None, 8):
    if window:
        send(f"setenv tftpwindowsize {window}")
        expect(rb"=> ", 10)
    start = time.time()
    send(f"tftpboot 0x40400000 {name}")
    m = expect(rb"Bytes transferred = (\d+) \(", 300)  # up to "(": the number may arrive in pieces
    took = time.time() - start
    if int(m.group(1)) != size:
        fail(f"u-boot transferred {m.group(1).decode()} bytes, the file has {size}")
    expect(rb"=> ", 10)
    send("crc32 0x40400000 ${filesize}")
    m = expect(rb"==> ([0-9a-f]{8})", 60)
    if m.group(1).decode() != want_crc:
        fail(f"u-boot's CRC32 {m.group(1).decode()} != the file's {want_crc}")
    print(f"ok: tftpboot {name} ({size} bytes){' with tftpwindowsize ' + str(window) if window else ''}: "
          f"CRC32 {want_crc} matches ({took:.1f} s)")
    expect(rb"=> ", 10)
qemu.kill()
qemu.wait()
