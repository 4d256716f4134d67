#!/usr/bin/env bash
# The API over HTTPS (issue 10): --api-tls-cert/--api-tls-key with a certificate openssl makes
# here; curl and rackbootctl trust it with --cacert and work; plain HTTP to the port gets no
# answer; a client that does not trust the certificate is refused; a certificate without its
# key, or a file that is not PEM, refuses to start and says why.
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/root" "$WORK/images/a"
echo x > "$WORK/root/start4.elf"
echo a > "$WORK/images/a/start4.elf"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1 || fail "openssl could not make a certificate"
expect_refusal "go together" --tftp-root "$WORK/root" --api-tls-cert "$WORK/cert.pem"
echo "not pem" > "$WORK/junk.pem"
expect_refusal "is not PEM" --tftp-root "$WORK/root" --tftp-port 0 --api 127.0.0.1:0 --api-tls-cert "$WORK/junk.pem" \
    --api-tls-key "$WORK/key.pem"
pass "a certificate without its key, and a file that is not PEM, are refused at start"
start_rackbootd --tftp-root "$WORK/root" --state "$WORK/state" --images-root "$WORK/images" \
    --api-tls-cert "$WORK/cert.pem" --api-tls-key "$WORK/key.pem"
TOKEN=$(cat "$WORK/state/api-token")
curl -sf --cacert "$WORK/cert.pem" "https://$API/healthz" | grep -q '"ok"' || fail "HTTPS healthz"
curl -sf --cacert "$WORK/cert.pem" -o "$WORK/metrics" "https://$API/metrics" || fail "HTTPS metrics"
grep -q '^rackboot_' "$WORK/metrics" || fail "HTTPS metrics: $(head -c 300 "$WORK/metrics")"
curl -sf --max-time 3 "http://$API/healthz" >/dev/null && fail "plain HTTP was answered on the HTTPS port"
curl -sf --max-time 3 "https://$API/healthz" >/dev/null && fail "an untrusted certificate was accepted by curl"
pass "curl over HTTPS with the certificate trusted; plain HTTP and untrusted clients get nothing"
RACKBOOT_TOKEN=$TOKEN "$RACKBOOTCTL" --api "https://$API" --cacert "$WORK/cert.pem" images add a "$WORK/images/a" \
    || fail "rackbootctl over HTTPS"
RACKBOOT_TOKEN=$TOKEN "$RACKBOOTCTL" --api "https://$API" --cacert "$WORK/cert.pem" boards add 8f3a21c0 --image a \
    || fail "rackbootctl boards add over HTTPS"
"$RACKBOOTCTL" --api "https://$API" --cacert "$WORK/cert.pem" boards ls | grep -q '^8f3a21c0 .* a ' \
    || fail "rackbootctl boards ls over HTTPS"
rc=0
"$RACKBOOTCTL" --api "https://$API" status >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "rackbootctl without the CA exited $rc, expected 3 (cannot reach: certificate refused)"
curl -sf -o "$WORK/got" "tftp://127.0.0.1:$PORT/8f3a21c0/start4.elf" || fail "the board added over HTTPS is not served"
same_sha "$WORK/images/a/start4.elf" "$WORK/got" "the board's image"
pass "rackbootctl over HTTPS (--cacert) adds an image and a board that TFTP then serves; without the CA it exits 3"
