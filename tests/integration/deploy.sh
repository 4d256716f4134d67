#!/usr/bin/env bash
# What `make install` puts on a host is usable as it is: the install (staged with DESTDIR) holds
# the binaries, units, configuration, man pages and the rest; each unit names the path the
# install put rackbootd at and the configuration it installed; systemd accepts the units (every
# directive known, every dependency found, none missing: Debian's dpdk.service is only wanted);
# and each example /etc/default file, read the way systemd reads it, is a configuration rackbootd
# --check-config accepts (its paths pointed at scratch ones). tools/package-check does the same
# for the Debian package on a bare root (make fresh-check).
source "$(dirname "$0")/lib.sh"
DEPLOY=$(cd "$(dirname "$0")/../../deploy" && pwd)
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (package systemd)"
: "${RACKBOOT_BUILD_DIR:?RACKBOOT_BUILD_DIR must point at the build}"

# The install, staged; its prefix as the build was configured.
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$RACKBOOT_BUILD_DIR/CMakeCache.txt")
DESTDIR=$WORK/dest cmake --install "$RACKBOOT_BUILD_DIR" > "$WORK/install.log" 2>&1 || fail "cmake --install: $(cat "$WORK/install.log")"
root=$WORK/dest$prefix
inst_etc=$prefix/etc  # GNUInstallDirs: /etc under the prefix /usr
[ "$prefix" = /usr ] && inst_etc=/etc
etc=$WORK/dest$inst_etc
dpdk=$(grep -q '^RACKBOOT_DPDK:BOOL=ON' "$RACKBOOT_BUILD_DIR/CMakeCache.txt" && echo yes || true)
want=(sbin/rackbootd bin/rackbootctl lib/systemd/system/rackbootd.service lib/systemd/system/rackboot-nbd.service
    lib/systemd/system/rackboot-nfs.service lib/sysusers.d/rackboot.conf lib/tmpfiles.d/rackboot.conf
    lib/sysctl.d/99-rackboot.conf share/rackboot/grafana/rackboot.json share/rackboot/prometheus/rackboot-rules.yml)
[ -n "$dpdk" ] && want+=(bin/rackboot-swarm lib/systemd/system/rackbootd-dpdk.service share/doc/rackboot/examples/dpdk/dpdk.conf)
command -v help2man >/dev/null && want+=(share/man/man8/rackbootd.8 share/man/man1/rackbootctl.1)
for f in "${want[@]}"; do [ -e "$root/$f" ] || fail "make install put no $prefix/$f"; done
for f in rackboot/rackbootd.toml default/rackbootd; do [ -f "$etc/$f" ] || fail "make install put no $f in its etc"; done
grep -q rackboot_tftp_transfers_total "$root/share/man/man8/rackbootd.8" 2>/dev/null || ! command -v help2man >/dev/null ||
    fail "rackbootd.8 has no METRICS section"
pass "make install (prefix $prefix): ${#want[@]} files and the configuration in place"

# The installed units, rebased into the staging directory so that systemd finds what they name.
mkdir -p "$WORK/units" "$WORK/root" "$WORK/state"
for unit in "$root"/lib/systemd/system/*.service; do
    grep -q '@[A-Z]*@' "$unit" && fail "$(basename "$unit") has a placeholder left: $(grep '@[A-Z]*@' "$unit")"
    sed "s|$prefix/sbin/|$root/sbin/|g; s|$inst_etc/rackboot/|$etc/rackboot/|g; s|$inst_etc/default/|$etc/default/|g" \
        "$unit" > "$WORK/units/$(basename "$unit")"
done
grep -q "^ExecStart=$root/sbin/rackbootd --config $etc/rackboot/rackbootd.toml " "$WORK/units/rackbootd.service" ||
    fail "rackbootd.service does not run the installed rackbootd with the installed configuration: $(grep ^ExecStart "$WORK/units/rackbootd.service")"
grep -q '^User=rackboot$' "$WORK/units/rackbootd.service" || fail "rackbootd.service does not run as rackboot"
grep -q '^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$' "$WORK/units/rackbootd.service" || fail "rackbootd.service: capabilities"
units=(rackbootd.service)
[ -n "$dpdk" ] && units+=(rackbootd-dpdk.service)
# The roots' servers' units name Debian's binaries: verified where those are installed.
for unit in rackboot-nbd.service:nbd-server rackboot-nfs.service:ganesha.nfsd; do
    command -v "${unit#*:}" >/dev/null && units+=("${unit%%:*}")
done
# Documentation=man:rackbootd(8) is checked too where man-db is installed: man finds the
# installed page (a bare root has no man; the pages are checked above).
man=()
command -v man >/dev/null || man=(--man=no)
out=$(cd "$WORK/units" && MANPATH="$root/share/man" SYSTEMD_UNIT_PATH="$WORK/units:" \
    systemd-analyze verify "${man[@]}" "${units[@]}" 2>&1) \
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
for name in rackbootd ${dpdk:+rackbootd-dpdk}; do
    unit=$WORK/units/$name.service
    grep -q -- "--config $etc/rackboot/$name.toml" "$unit" || fail "$unit does not read the installed $name.toml"
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
# (The last configuration checked is the DPDK one, where the build has the DPDK backend.)
if [ -n "$dpdk" ]; then
    grep -Eq "backend=dpdk|RLIMIT_NOFILE [0-9]+\) covers [0-9]+ transfers, not --max-transfers [0-9]+ \(1 descriptors a transfer" <<<"$out" \
        || fail "the DPDK example is not a DPDK configuration: $out"
fi

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
