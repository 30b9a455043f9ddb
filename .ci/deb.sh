#!/usr/bin/env bash
# Builds the Linux package myna-kakunin_<version>_<arch>.deb from the production binary with
# dpkg-deb and checks it with lintian (no errors allowed). With --install (CI): installs it
# with apt, runs `myna-kakunin --version` and `readers` from the installed package, removes
# it and checks that nothing of it is left.
#
# Usage: .ci/deb.sh [--install] [BINARY]   (default target/release/myna-kakunin)
# Prints the path of the .deb as its last line. Needs dpkg-dev (dpkg-shlibdeps) and lintian
# (installed here when missing).
#
# The package: /usr/bin/myna-kakunin; /usr/share/doc/myna-kakunin/ with README.md, the
# copyright file, licenses.txt (what `myna-kakunin --licenses` prints: every crate and font
# inside), the changelog and examples/ (packaging/: a sample machine-wide config.txt, the X
# session for the kiosk user). Depends on pcscd and libpcsclite1, the X libraries winit
# loads at run time, and what dpkg-shlibdeps finds.
set -euo pipefail
cd "$(dirname "$0")/.."

install_check=
if [ "${1:-}" = --install ]; then install_check=1; shift; fi
bin=$(realpath "${1:-${CARGO_TARGET_DIR:-target}/release/myna-kakunin}")
[ -x "$bin" ] || { echo "deb: no $bin; run cargo build --release first"; exit 1; }
SUDO=$(command -v sudo || true)
[ "$(id -u)" = 0 ] && SUDO=

need=()
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
command -v lintian >/dev/null || need+=(lintian)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

version=$(awk -F'"' '/^version = /{print $2; exit}' Cargo.toml)
arch=$(dpkg --print-architecture)
out=$(realpath -m "${CARGO_TARGET_DIR:-target}/deb")
root=$out/root
deb=$out/myna-kakunin_${version}_${arch}.deb
rm -rf "$out"
mkdir -p "$root/DEBIAN"
# Reproducible dates: the commit's, else now.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

install -D -m 755 "$bin" "$root/usr/bin/myna-kakunin"
doc=$root/usr/share/doc/myna-kakunin
install -D -m 644 README.md "$doc/README.md"
"$bin" --licenses >"$doc/licenses.txt"
chmod 644 "$doc/licenses.txt"
for f in config.txt xinitrc bash_profile autologin.conf; do
  install -D -m 644 "packaging/$f" "$doc/examples/$f"
done
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: myna-kakunin
Comment: The binary also contains third-party crates and fonts; their licences and texts
 are in /usr/share/doc/myna-kakunin/licenses.txt (what \`myna-kakunin --licenses\` prints).

Files: *
Copyright: $(date -u -d "@$epoch" +%Y) the myna-kakunin authors
License: MIT or Apache-2.0

Files: fonts/*
Copyright: 2022 The BIZ UDGothic Project Authors; 2014-2021 Adobe (Noto Sans CJK)
License: OFL-1.1
 The full text is in /usr/share/doc/myna-kakunin/licenses.txt.

License: MIT
$(sed -e 's/^$/./' -e 's/^/ /' licenses/MIT.txt)

License: Apache-2.0
 On Debian systems, the complete text of the Apache License 2.0 can be found in
 /usr/share/common-licenses/Apache-2.0.
EOF
chmod 644 "$doc/copyright"
changelog_date=$(date -u -R -d "@$epoch")
cat >"$doc/changelog" <<EOF
myna-kakunin ($version) bookworm; urgency=medium

  * Built from the myna-kakunin repository by .ci/deb.sh.

 -- myna-kakunin maintainers <myna-kakunin@example.jp>  $changelog_date
EOF
gzip -9n "$doc/changelog"
find "$root" -exec touch -h -d "@$epoch" {} +

# Shared libraries the binary links (libc, libgcc, libpcsclite) as dpkg-shlibdeps sees them.
shlibs_dir=$(mktemp -d)
trap 'rm -rf "$shlibs_dir"' EXIT
mkdir -p "$shlibs_dir/debian"
printf 'Source: myna-kakunin\n\nPackage: myna-kakunin\nArchitecture: any\n' >"$shlibs_dir/debian/control"
shlibs=$(cd "$shlibs_dir" && dpkg-shlibdeps -O "$root/usr/bin/myna-kakunin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "deb: dpkg-shlibdeps found no libraries"; exit 1; }
# PC/SC is linked, so dpkg-shlibdeps names libpcsclite1 with its version; say it anyway if not.
grep -q 'libpcsclite1' <<<"$shlibs" || shlibs="$shlibs, libpcsclite1"

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: myna-kakunin
Version: $version
Architecture: $arch
Maintainer: myna-kakunin maintainers <myna-kakunin@example.jp>
Installed-Size: $size
Depends: $shlibs, pcscd, libx11-6, libx11-xcb1, libxcursor1, libxi6, libxkbcommon-x11-0
Section: misc
Priority: optional
Description: qualification-check kiosk for the My Number Card
 A kiosk that checks a patient's health insurance qualification with the My
 Number Card on a PC/SC reader against the qualification center (資格確認限定型).
 One executable; configuration in /etc/myna-kakunin/config.txt (machine-wide)
 and the kiosk user's data folder. Examples of both and of an X session for a
 dedicated kiosk user are in /usr/share/doc/myna-kakunin/examples.
EOF
(cd "$root" && find usr -type f -exec md5sum {} + | sort -k2) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb" | awk '{print "  " $6}'

# lintian: errors fail the build; warnings and notes are shown. Run as root it must be told.
start=$SECONDS
lintian_root=
[ "$(id -u)" = 0 ] && lintian_root=--allow-root
lintian $lintian_root --fail-on error --tag-display-limit 0 "$deb" || { echo "deb: lintian reports errors"; exit 1; }
echo "lintian: no errors ($((SECONDS - start)) s)"

if [ -n "$install_check" ]; then
  start=$SECONDS
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
  installed=$(command -v myna-kakunin)
  [ "$installed" = /usr/bin/myna-kakunin ] || { echo "deb: installed binary is $installed"; exit 1; }
  got=$(myna-kakunin --version)
  [ "$got" = "myna-kakunin $version" ] || { echo "deb: --version says $got"; exit 1; }
  # The readers, or a diagnostic (no pcscd running here is NoService): never a loader error.
  rc=0; out=$(myna-kakunin readers 2>&1) || rc=$?
  case "$rc" in
    0) ;;
    1) grep -q '^myna-kakunin readers: ' <<<"$out" || { echo "deb: readers: $out"; exit 1; } ;;
    *) echo "deb: readers exited $rc: $out"; exit 1 ;;
  esac
  echo "installed: $got; readers (exit $rc): $(head -n 1 <<<"$out")"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq myna-kakunin >/dev/null
  if dpkg-query -W -f='${Status}\n' myna-kakunin 2>/dev/null | grep -q installed; then
    echo "deb: still installed after purge"; exit 1
  fi
  for left in /usr/bin/myna-kakunin /usr/share/doc/myna-kakunin; do
    [ ! -e "$left" ] || { echo "deb: $left left behind"; exit 1; }
  done
  echo "installed with apt, ran, purged cleanly ($((SECONDS - start)) s)"
fi
echo "$deb"
