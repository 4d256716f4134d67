#!/usr/bin/env bash
# The shipped deploy/ files are usable as they are: systemd accepts both units (every directive
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
out=$(cd "$WORK/units" && SYSTEMD_UNIT_PATH="$WORK/units:" systemd-analyze verify rackbootd.service rackbootd-dpdk.service 2>&1) \
    || fail "systemd-analyze verify refused the units: $out"
[ -z "$out" ] || fail "systemd-analyze verify warned: $out"
pass "systemd-analyze verify accepts rackbootd.service and rackbootd-dpdk.service"

# Example arguments, as systemd would pass them ($RACKBOOTD_ARGS split at spaces, the EAL whole).
for f in rackbootd.default rackbootd-dpdk.default; do
    out=$(
        unset RACKBOOTD_ARGS RACKBOOTD_EAL
        # shellcheck disable=SC1090
        . "$DEPLOY/$f"
        args=${RACKBOOTD_ARGS//\/srv\/tftp/$WORK/root}
        args=${args//\/var\/lib\/rackboot/$WORK/state}
        # shellcheck disable=SC2086
        if [ -n "${RACKBOOTD_EAL:-}" ]; then
            "$RACKBOOTD" $args --eal "$RACKBOOTD_EAL" --check-config 2>&1
        else
            "$RACKBOOTD" $args --check-config 2>&1
        fi
    ) || fail "$f: rackbootd --check-config refused it: $out"
    grep -q "^rackbootd: configuration ok" <<<"$out" || fail "$f: $out"
    pass "$f: $out"
done
grep -q "backend=dpdk" <<<"$out" || fail "the DPDK example is not a DPDK configuration"

# The sysctl drop-in names settings this kernel has.
while read -r key _ value; do
    [ -e "/proc/sys/${key//.//}" ] || fail "99-rackboot.conf: no such sysctl $key"
    [ "$value" -ge 16777216 ] || fail "99-rackboot.conf: $key = $value"
done < <(grep -v '^#' "$DEPLOY/99-rackboot.conf" | grep .)
pass "99-rackboot.conf names existing sysctls"
