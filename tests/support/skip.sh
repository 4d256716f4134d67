# Sourced by test and benchmark scripts. A test that cannot run here exits 77, which CTest
# (SKIP_RETURN_CODE 77) reports as skipped, never as passed. With RACKBOOT_NO_SKIP set (CI runs
# as root with it), a skip is a failure: there, every test must run.
skip() {
    if [ -n "${RACKBOOT_NO_SKIP:-}" ]; then
        echo "FAIL: would skip under RACKBOOT_NO_SKIP: $*" >&2
        exit 1
    fi
    echo "SKIP: $*"
    exit 77
}

# need_root WHY: skips unless root.
need_root() {
    [ "$(id -u)" = 0 ] || skip "needs root ($1)"
}
