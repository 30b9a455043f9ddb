#!/usr/bin/env bash
# TEST-ONLY demo PKI for myna-kakunin. Never trust these keys or certificates anywhere.
#
# Makes a demo certificate authority whose DN mimics the J-LIS user-authentication CA
# (with "DEMO" added so no one can mistake it), and one user-authentication
# certificate (RSA-2048) per demo card listed in cards.txt. Each card's serial number is
# fixed in cards.txt, because the reference center binds demo persons to it.
#
# Idempotent: the CA and existing cards are kept; only missing cards are made.
# Run from anywhere: bash tests/pki/make-demo-pki.sh
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p cards

ca_subj="/C=JP/O=JPKI/OU=JPKI for user authentication/OU=Japan Agency for Local Authority Information Systems/OU=DEMO TEST ONLY"
if [ ! -f ca.key.pem ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -keyout ca.key.pem -out ca.cert.pem \
    -days 7300 -subj "$ca_subj" -set_serial 0x6D18006 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl x509 -in ca.cert.pem -outform DER -out ca.cert.der
fi

# `openssl ca` (not `x509 -req`) because only it takes explicit validity dates in OpenSSL 3.0.
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
: > "$work/index.txt"
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = demo
[demo]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_days = 1
certificate = $PWD/ca.cert.pem
private_key = $PWD/ca.key.pem
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = leaf
[any]
countryName = supplied
commonName = supplied
[leaf]
keyUsage = critical,digitalSignature
basicConstraints = critical,CA:FALSE
CNF

# cards.txt: id serial-hex not-before(YYYYMMDDhhmmssZ) not-after opaque-cn
grep -v '^#' cards.txt | while read -r id serial nb na cn; do
  [ -n "$id" ] || continue
  [ -f "cards/$id.cert.der" ] && continue
  openssl genrsa -out "cards/$id.key.pem" 2048 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "cards/$id.key.pem" -outform DER -out "cards/$id.key.pk8"
  openssl req -new -key "cards/$id.key.pem" -subj "/C=JP/CN=$cn" -out "cards/$id.csr" 2>/dev/null
  echo "$serial" > "$work/serial"
  openssl ca -batch -config "$work/ca.cnf" -notext -in "cards/$id.csr" -out "$work/$id.pem" \
    -startdate "$nb" -enddate "$na" 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
  openssl x509 -in "$work/$id.pem" -outform DER -out "cards/$id.cert.der"
  rm -f "cards/$id.csr" "cards/$id.key.pem"
  echo "made $id (serial $serial)"
done
