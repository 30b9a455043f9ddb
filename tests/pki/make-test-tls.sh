#!/usr/bin/env bash
# TEST-ONLY TLS PKI for the HTTPS client tests of myna-kakunin (src/center/client.rs).
# Never trust these keys or certificates anywhere: the private keys are public.
#
# Makes a test CA (CA:TRUE) and a server leaf it signs for the loopback test server:
# subjectAltName IP:127.0.0.1 and DNS:localhost, extendedKeyUsage serverAuth. A CA plus a
# leaf is needed because webpki rejects a self-signed CA:TRUE certificate as end entity.
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

if [ ! -f server.key.pk8 ]; then
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/server.key.pem" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$work/server.key.pem" -outform DER -out server.key.pk8
  openssl req -new -key "$work/server.key.pem" -out "$work/server.csr" \
    -subj "/O=myna-kakunin TEST ONLY/CN=localhost" 2>/dev/null
  # `openssl ca` (not `x509 -req`) because only it takes explicit validity dates in OpenSSL 3.0:
  # a fixed past notBefore keeps the tests working on machines whose clock lags.
  : > "$work/index.txt"
  echo 5E57 > "$work/serial"
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
subjectAltName = IP:127.0.0.1,DNS:localhost
CNF
  openssl ca -batch -config "$work/ca.cnf" -notext -in "$work/server.csr" -out "$work/server.pem" \
    -startdate 20240101000000Z -enddate 20491231235959Z 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
  openssl x509 -in "$work/server.pem" -outform DER -out server.cert.der
  echo "made tls/server.cert.der"
fi
