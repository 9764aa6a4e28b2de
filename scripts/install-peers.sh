#!/usr/bin/env bash
# Installs the real, independent servers and clients the interop tests and
# benchmarks talk to (all on loopback). Debian/Ubuntu, as root or with sudo.
# Installing does not start any service: tests start their own with their own configs.
set -euo pipefail

# DNS: nsd, dig, unbound (DNS over TLS and HTTPS; never its packaged service) · NTP: chronyd, ntpdig · HTTP: nginx, openssl (test certificates), curl
# HTTP/2: nginx-light (http_v2), nghttpd (nghttp2-server: h2c for --http2-prior-knowledge)
# echo/raw TCP+UDP: socat, ncat, nc · benchmarks: hyperfine, GNU time
# proxies (http-get -x): ncat --proxy-type http, microsocks (SOCKS5), tinyproxy (Basic proxy authentication)
# services: netbase provides /etc/services (getent comparisons)
# the loopback-only test sandbox (scripts/sandbox.sh): ip, unshare; nft drops packets in it (Happy Eyeballs)
PACKAGES=(
  nsd bind9-dnsutils unbound ldnsutils
  chrony ntpsec-ntpdig
  nginx-light openssl curl
  nghttp2-server
  socat ncat netcat-openbsd
  microsocks tinyproxy
  hyperfine time
  netbase
  iproute2 util-linux nftables
)
BINARIES=(nsd dig delv ldns-signzone ldns-keygen ldns-key2ds unbound chronyd ntpdig nginx openssl curl nghttpd socat ncat nc microsocks tinyproxy hyperfine /usr/bin/time ip unshare nft)

missing=()
for b in "${BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
[ -s /etc/services ] || missing+=(/etc/services)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-peers: all peers present"
  exit 0
fi
echo "install-peers: missing ${missing[*]}; installing ${PACKAGES[*]}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
for b in "${BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || { echo "install-peers: $b still missing" >&2; exit 1; }; done
[ -s /etc/services ] || { echo "install-peers: /etc/services still missing" >&2; exit 1; }
echo "install-peers: done"
