#!/usr/bin/env bash
# TEST-ONLY TLS PKI for the HTTPS client tests of myna-kakunin (src/center/client.rs).
# Never trust these keys or certificates anywhere: the private keys are public.
#
# Makes a test CA (CA:TRUE) and a server leaf it signs for the loopback test server:
# subjectAltName IP:127.0.0.1 and DNS:localhost, extendedKeyUsage serverAuth. A CA plus a
# leaf is needed because webpki rejects a self-signed CA:TRUE certificate as end entity.
# Also two more leaves from the same CA, so the client tests can show a host-name mismatch
# (wrong-host: for wrong-host.invalid only) and an expired certificate (expired-host), and
# PEM copies of the loopback leaf and
# key for `myna-kakunin reference-center --tls-cert --tls-key`.
# Keys are ECDSA P-256 (quick to make, supported by rustls with ring).
#
# Idempotent: keeps what exists. Run from anywhere: bash tests/pki/make-test-tls.sh
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p tls
cd tls

if [ ! -f ca.key.pem ]; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout ca.key.pem -out ca.cert.pem -sha256 -days 9125 \
    -subj "/O=myna-kakunin TEST ONLY/CN=myna-kakunin test TLS CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

# make_leaf NAME SERIAL SAN [START END]: a leaf signed by the test CA, as NAME.cert.der +
# NAME.key.pk8, valid 2024-01-01 to 2049-12-31 unless START and END are given.
make_leaf() {
  local name=$1 serial=$2 san=$3 start=${4:-20240101000000Z} end=${5:-20491231235959Z}
  [ -f "$name.key.pk8" ] && return 0
  work=$(mktemp -d)
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$work/key.pem" -outform DER -out "$name.key.pk8"
  openssl req -new -key "$work/key.pem" -out "$work/leaf.csr" \
    -subj "/O=myna-kakunin TEST ONLY/CN=$name" 2>/dev/null
  # `openssl ca` (not `x509 -req`) because only it takes explicit validity dates in OpenSSL 3.0:
  # a fixed past notBefore keeps the tests working on machines whose clock lags.
  : > "$work/index.txt"
  echo "$serial" > "$work/serial"
  cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
certificate = $PWD/ca.cert.pem
private_key = $PWD/ca.key.pem
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = leaf
[any]
organizationName = supplied
commonName = supplied
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
CNF
  openssl ca -batch -config "$work/ca.cnf" -notext -in "$work/leaf.csr" -out "$work/leaf.pem" \
    -startdate "$start" -enddate "$end" 2>"$work/log" || { cat "$work/log" >&2; rm -rf "$work"; exit 1; }
  openssl x509 -in "$work/leaf.pem" -outform DER -out "$name.cert.der"
  rm -rf "$work"
  echo "made tls/$name.cert.der"
}

# The loopback server (its CN was "localhost" when first made; the SAN is what counts).
make_leaf server 5E57 "IP:127.0.0.1,DNS:localhost"
# Valid, from the same CA, but for another host only.
make_leaf wrong-host 5E58 "DNS:wrong-host.invalid"
# For the loopback host, from the same CA, but expired on 2024-06-30.
make_leaf expired-host 5E59 "IP:127.0.0.1,DNS:localhost" 20240101000000Z 20240630235959Z

# PEM copies of the loopback leaf and key for the reference-center subcommand.
[ -f server.cert.pem ] || openssl x509 -inform DER -in server.cert.der -out server.cert.pem
[ -f server.key.pem ] || openssl pkcs8 -nocrypt -inform DER -in server.key.pk8 -out server.key.pem
