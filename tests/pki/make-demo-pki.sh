#!/usr/bin/env bash
# TEST-ONLY demo PKI for myna-kakunin. Never trust these keys or certificates anywhere.
#
# Makes two demo certificate authorities whose DNs mimic the J-LIS CAs (with "DEMO TEST ONLY"
# added so no one can mistake them): the user-authentication CA and the digital-signature CA.
# Per demo card listed in cards.txt: one user-authentication certificate (RSA-2048,
# cards/<id>.cert.der + .key.pk8) and one signature certificate (RSA-2048,
# cards/<id>.sign.cert.der + .sign.key.pk8). Each card's serial number is fixed in cards.txt,
# because the reference center binds demo persons to it; the signature certificate's serial
# is the same with 01 in front (0705D990 -> 010705D990).
#
# Idempotent: the CAs and existing certificates and keys are kept; only missing ones are made.
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

sign_ca_subj="/C=JP/O=JPKI/OU=JPKI for digital signature/OU=Japan Agency for Local Authority Information Systems/OU=DEMO TEST ONLY"
if [ ! -f sign-ca.key.pem ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -keyout sign-ca.key.pem -out sign-ca.cert.pem \
    -days 7300 -subj "$sign_ca_subj" -set_serial 0x6D18007 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl x509 -in sign-ca.cert.pem -outform DER -out sign-ca.cert.der
fi

phone_ca_subj="/C=JP/O=JPKI/OU=JPKI for smartphone user authentication/OU=Japan Agency for Local Authority Information Systems/OU=DEMO TEST ONLY"
if [ ! -f phone-ca.key.pem ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -keyout phone-ca.key.pem -out phone-ca.cert.pem \
    -days 7300 -subj "$phone_ca_subj" -set_serial 0x6D18008 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl x509 -in phone-ca.cert.pem -outform DER -out phone-ca.cert.der
fi

# `openssl ca` (not `x509 -req`) because only it takes explicit validity dates in OpenSSL 3.0.
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# ca_config NAME CA-FILE-PREFIX KEY-USAGE: an `openssl ca` configuration with its own database.
ca_config() {
  mkdir -p "$work/$1"
  : > "$work/$1/index.txt"
  cat > "$work/$1/ca.cnf" <<CNF
[ca]
default_ca = demo
[demo]
database = $work/$1/index.txt
new_certs_dir = $work/$1
serial = $work/$1/serial
default_days = 1
certificate = $PWD/$2.cert.pem
private_key = $PWD/$2.key.pem
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = leaf
[any]
countryName = supplied
commonName = supplied
[leaf]
keyUsage = critical,$3
basicConstraints = critical,CA:FALSE
CNF
}
ca_config auth ca digitalSignature
ca_config sign sign-ca "digitalSignature,nonRepudiation"
ca_config phone phone-ca digitalSignature

# issue CA-NAME OUT-PREFIX SERIAL NOT-BEFORE NOT-AFTER CN: a new RSA-2048 key and certificate,
# unless OUT-PREFIX.cert.der exists.
issue() {
  local ca=$1 out=$2 serial=$3 nb=$4 na=$5 cn=$6
  [ -f "$out.cert.der" ] && return 0
  openssl genrsa -out "$out.key.pem" 2048 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$out.key.pem" -outform DER -out "$out.key.pk8"
  openssl req -new -key "$out.key.pem" -subj "/C=JP/CN=$cn" -out "$out.csr" 2>/dev/null
  echo "$serial" > "$work/$ca/serial"
  openssl ca -batch -config "$work/$ca/ca.cnf" -notext -in "$out.csr" -out "$work/$ca/out.pem" \
    -startdate "$nb" -enddate "$na" 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
  openssl x509 -in "$work/$ca/out.pem" -outform DER -out "$out.cert.der"
  rm -f "$out.csr" "$out.key.pem"
  echo "made $out (serial $serial)"
}

# cards.txt: id serial-hex not-before not-after opaque-cn [CA: card (default) or phone].
# A phone's user-authentication certificate comes from the スマホ用 CA; its signature
# certificate from the same demo signature CA as the cards'.
# cards.txt: id serial-hex not-before(YYYYMMDDhhmmssZ) not-after opaque-cn
grep -v '^#' cards.txt | while read -r id serial nb na cn ca; do
  [ -n "$id" ] || continue
  if [ "${ca:-card}" = phone ]; then
    issue phone "cards/$id" "$serial" "$nb" "$na" "$cn"
  else
    issue auth "cards/$id" "$serial" "$nb" "$na" "$cn"
  fi
  issue sign "cards/$id.sign" "01$serial" "$nb" "$na" "$cn"
done
