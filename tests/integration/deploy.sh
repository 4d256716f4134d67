#!/usr/bin/env bash
# The shipped deploy/ files are usable as they are: systemd accepts the units (every directive
# known, every dependency found), and each example /etc/default file, read the way systemd reads
# it, is a configuration rackbootd --check-config accepts (its paths pointed at scratch ones).
source "$(dirname "$0")/lib.sh"
DEPLOY=$(cd "$(dirname "$0")/../../deploy" && pwd)
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (package systemd)"

# Units, with ExecStart pointed at this build and a stand-in for Debian's dpdk.service.
mkdir -p "$WORK/units" "$WORK/root" "$WORK/state"
for unit in "$DEPLOY"/*.service; do
    sed "s|/usr/local/sbin/rackbootd|$RACKBOOTD|g" "$unit" > "$WORK/units/$(basename "$unit")"
done
printf '[Unit]\nDescription=stand-in for the dpdk package unit\n[Service]\nType=oneshot\nExecStart=/bin/true\n' \
    > "$WORK/units/dpdk.service"
units=(rackbootd.service rackbootd-dpdk.service)
# The roots' servers' units name Debian's binaries: verified where those are installed.
for unit in rackboot-nbd.service:nbd-server rackboot-nfs.service:ganesha.nfsd; do
    command -v "${unit#*:}" >/dev/null && units+=("${unit%%:*}")
done
out=$(cd "$WORK/units" && SYSTEMD_UNIT_PATH="$WORK/units:" systemd-analyze verify "${units[@]}" 2>&1) \
    || fail "systemd-analyze verify refused the units: $out"
[ -z "$out" ] || fail "systemd-analyze verify warned: $out"
pass "systemd-analyze verify accepts ${units[*]}"

# The example configuration files, as the units pass them (--config, plus the default file's
# extra flags, split at spaces), with their paths pointed at scratch ones, under the descriptor
# limit the unit sets (--check-config weighs --max-transfers against it). Raising a hard limit
# needs CAP_SYS_RESOURCE, which a container may lack: then the check runs under the limit there
# is, and its one refusal allowed is that limit being below the unit's (the check of descriptors
# comes last, so everything else has passed by then).
mkdir -p "$WORK/images"
for name in rackbootd rackbootd-dpdk; do
    unit=$DEPLOY/$name.service
    grep -q -- "--config /etc/rackboot/$name.toml" "$unit" || fail "$unit does not read /etc/rackboot/$name.toml"
    nofile=$(sed -n 's/^LimitNOFILE=//p' "$unit")
    [ -n "$nofile" ] || fail "$unit sets no LimitNOFILE"
    limit=(prlimit --nofile="$nofile:$nofile")
    "${limit[@]}" true 2>/dev/null || limit=()
    sed -e "s|/srv/tftp|$WORK/root|; s|/var/lib/rackboot|$WORK/state|; s|/srv/rackboot/images|$WORK/images|" \
        "$DEPLOY/$name.toml" > "$WORK/$name.toml"
    out=$(
        unset RACKBOOTD_ARGS
        # shellcheck disable=SC1090
        . "$DEPLOY/$name.default"
        # shellcheck disable=SC2086
        "${limit[@]}" "$RACKBOOTD" --config "$WORK/$name.toml" $RACKBOOTD_ARGS --check-config 2>&1
    ) || {
        have=$(ulimit -Hn)
        [ ${#limit[@]} -eq 0 ] && [ "$have" -lt "$nofile" ] \
            && grep -q "^rackbootd: the descriptor limit (RLIMIT_NOFILE $have) covers" <<<"$out" \
            || fail "$name.toml: rackbootd --check-config refused it: $out"
        pass "$name.toml: accepted but for the descriptor limit, $have here against the unit's $nofile (no CAP_SYS_RESOURCE to raise it)"
        continue
    }
    grep -q "^rackbootd: configuration ok" <<<"$out" || fail "$name.toml: $out"
    pass "$name.toml: $out"
done
# A bad line is named; a flag overrides the file.
printf 'tftp-root = "%s"\nmax-transfers = "lots"\n' "$WORK/root" > "$WORK/bad.toml"
bad=$("$RACKBOOTD" --config "$WORK/bad.toml" --check-config 2>&1) && fail "a bad configuration file was accepted"
grep -q "bad.toml:2: --max-transfers: 'lots'" <<<"$bad" || fail "the bad file's line is not named: $bad"
printf 'tftp-root = "/nonexistent"\n' > "$WORK/over.toml"
"$RACKBOOTD" --config "$WORK/over.toml" --tftp-root "$WORK/root" --tftp-port 0 --api off --check-config >/dev/null \
    || fail "--tftp-root on the command line did not override the file's"
pass "a bad file refuses and names its line ($bad); the command line overrides the file"
grep -Eq "backend=dpdk|RLIMIT_NOFILE [0-9]+\) covers [0-9]+ transfers, not --max-transfers [0-9]+ \(1 descriptors a transfer" <<<"$out" \
    || fail "the DPDK example is not a DPDK configuration: $out"

# The sysctl drop-in names settings this kernel has, each at least what a rack needs.
while read -r key _ value; do
    [ -e "/proc/sys/${key//.//}" ] || fail "99-rackboot.conf: no such sysctl $key"
    case $key in
    net.core.*) want=16777216 ;;                      # socket buffers of 16 MiB
    net.ipv4.neigh.default.gc_thresh3) want=8192 ;;   # neighbours for thousands of Pis
    *) want=1 ;;
    esac
    [ "$value" -ge "$want" ] || fail "99-rackboot.conf: $key = $value, below $want"
done < <(grep -v '^#' "$DEPLOY/99-rackboot.conf" | grep .)
grep -q '^net.ipv4.neigh.default.gc_thresh3' "$DEPLOY/99-rackboot.conf" || fail "99-rackboot.conf: no neighbour table room"
pass "99-rackboot.conf names existing sysctls"

# The socket backend says so when its DHCP pool is larger than the kernel's neighbour table (the
# table the gc_thresh settings above size), and names the fix; a pool that fits draws no note.
limit=$(cat /proc/sys/net/ipv4/neigh/default/gc_thresh3)
check() {  # POOL_LAST: --check-config of a socket-backend DHCP server with the pool 10.0.0.10-POOL_LAST
    "$RACKBOOTD" --check-config --tftp-root "$WORK/root" --state "$WORK/state" --listen 0.0.0.0 --dhcp server \
        --subnet 10.0.0.0/16 --pool "10.0.0.10-$1" 2>&1
}
out=$(check 10.0.0.100) || fail "--check-config refused a pool of 91: $out"
! grep -q "neighbour table" <<<"$out" || fail "a pool of 91 drew a neighbour table note: $out"
if [ "$limit" -lt 65000 ]; then
    big=$((limit + 1))
    last=$((big + 9))  # the pool starts at .10
    out=$(check "10.0.$((last >> 8)).$((last & 255))") || fail "--check-config refused a pool of $big: $out"
    grep -q "^rackbootd: note: the kernel's neighbour table holds $limit entries .* fewer than the $big addresses.*99-rackboot.conf" \
        <<<"$out" || fail "no neighbour table note for a pool of $big over a table of $limit: $out"
    pass "a DHCP pool past the kernel's $limit-entry neighbour table is noted, with the fix; one that fits is not"
else
    pass "a pool that fits draws no neighbour table note (this host's table, $limit, is larger than a /16)"
fi
