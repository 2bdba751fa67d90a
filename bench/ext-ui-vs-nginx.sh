#!/bin/sh
# Benchmark: uiserve's /ext-ui/ against nginx serving the same extracted tree with the same headers
# (nginx from Debian, gzip_static on), on loopback, keep-alive, in one run so the ratios compare
# like with like on this shared machine. Files of 1 KiB, 32 KiB, 1 MiB (held in uiserve's memory) and
# 4 MiB (streamed from disk), with and without
# `Accept-Encoding: br, gzip`. Also reports uiserve's peak RSS (VmHWM).
# Each case runs in alternating rounds (uiserve, nginx, uiserve, nginx, …). The ratio is the median
# of the rounds' ratios, each of two runs seconds apart: this machine's load drifts by 10-20% over
# seconds, and one run of each, back to back, put that drift into the ratio. The lowest and highest
# round show how much noise is left.
# Usage: bench/ext-ui-vs-nginx.sh [seconds-per-run] [rounds]   (writes bench/results/ext-ui-<date>.md)
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-4}
rounds=${2:-5}
sh scripts/setup.sh nginx-light wrk curl
swift build -c release --product uiserve >&2
uiserve="$(swift build -c release --show-bin-path)/uiserve"
work=$(mktemp -d /tmp/uiserve-bench.XXXXXX)
cleanup() {
  [ -f "$work/uiserve.pid" ] && kill "$(cat "$work/uiserve.pid")" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 0.5; rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A bundle with text files of the three sizes (compressible, so br and gzip variants exist).
mkdir -p "$work/src/ui"
cp fixtures/demo/src/manifest.json "$work/src/"
cp fixtures/demo/src/ui/index.html "$work/src/ui/"
python3 - "$work/src/ui" <<'PY'
import random, sys
random.seed(7)
words = [''.join(random.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(random.randint(2, 9))) for _ in range(2000)]
for name, size in (("f1k.js", 1024), ("f32k.js", 32 * 1024), ("f1m.js", 1024 * 1024), ("f4m.js", 4 * 1024 * 1024)):
    lines, length = [], 0
    while length < size:
        lines.append("const " + random.choice(words) + " = '" + random.choice(words) + "';\n")
        length += len(lines[-1])
    open(f"{sys.argv[1]}/{name}", "w").write("".join(lines)[:size])
PY
"$uiserve" bundle pack "$work/src" -o "$work/bundle.tar.zst" >/dev/null
"$uiserve" bundle sign --key fixtures/keys/ed25519.pem "$work/bundle.tar.zst" -o "$work/bundle.sig" >/dev/null
hash=$("$uiserve" bundle inspect --json "$work/bundle.tar.zst" | python3 -c 'import json,sys; print(json.load(sys.stdin)["contentHash"])')
export REGISTRY_URL="sqlite://$work/registry.sqlite" BUNDLE_STORE_BASE="$work/store" EXT_CACHE_ROOT="$work/cache" \
  SIGNING_TRUST_BUNDLE=fixtures/trust/demo.pem UISERVE_PORT=18090
"$uiserve" bundle publish "$work/bundle.tar.zst" >/dev/null
"$uiserve" serve > "$work/uiserve.log" 2>&1 &
echo $! > "$work/uiserve.pid"
until curl -s -o /dev/null http://127.0.0.1:18090/healthz; do sleep 0.2; done
base="http://127.0.0.1:18090/ext-ui/acme.hello/$hash"
curl -s -o /dev/null "$base/"

# The same tree for nginx: the extracted files, with the gzip variants beside them for gzip_static.
tree="$work/cache/${hash#sha256:}"
mkdir -p "$work/nginx/root"
cp -r "$tree/ui/." "$work/nginx/root/"
for f in f1k.js f32k.js f1m.js f4m.js; do [ -f "$tree/variants/gzip/$f" ] && cp "$tree/variants/gzip/$f" "$work/nginx/root/$f.gz"; done
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on; keepalive_requests 100000;
  types { text/javascript js; text/html html; }
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:18091;
    root $work/nginx/root;
    gzip_static on;
    etag on;
    add_header Cache-Control "public, max-age=31536000, immutable";
    add_header X-Content-Type-Options nosniff;
    add_header Access-Control-Allow-Origin "*";
    add_header Cross-Origin-Resource-Policy cross-origin;
    add_header Referrer-Policy no-referrer;
    add_header Vary Accept-Encoding;
  }
}
NGINX
# nginx's workers run as www-data: let them reach the tree (mktemp made the directory 0700).
chmod 755 "$work" "$work/nginx"
chmod -R a+rX "$work/nginx/root"
/usr/sbin/nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
until curl -s -o /dev/null http://127.0.0.1:18091/f1k.js; do sleep 0.2; done

# Both servers must answer 200 with the same bytes before anything is measured.
for f in f1k.js f32k.js f1m.js f4m.js; do
  a=$(curl -s -w '%{http_code} %{size_download}' -o /dev/null "$base/$f")
  b=$(curl -s -w '%{http_code} %{size_download}' -o /dev/null "http://127.0.0.1:18091/$f")
  [ "$a" = "$b" ] && [ "${a%% *}" = 200 ] || { echo "bench: $f differs: uiserve $a, nginx $b" >&2; exit 1; }
  a=$(curl -s -H 'Accept-Encoding: br, gzip' -w '%{http_code}' -o /dev/null "$base/$f")
  b=$(curl -s -H 'Accept-Encoding: br, gzip' -w '%{http_code}' -o /dev/null "http://127.0.0.1:18091/$f")
  [ "$a" = 200 ] && [ "$b" = 200 ] || { echo "bench: $f with Accept-Encoding: uiserve $a, nginx $b" >&2; exit 1; }
done

rps() { wrk -t2 -c64 -d"${seconds}s" --latency "$@" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
# Alternating rounds of one case on both servers: "<uiserve median> <nginx median> <ratio> <ratio range>",
# where the ratio is the median of each round's uiserve/nginx (a round's two runs are seconds apart,
# so the machine's slower drift cancels out of it) and the range is the lowest and highest of them.
compare() {
  url_path=$1; shift
  us=""; ns=""; rs=""
  for _ in $(seq "$rounds"); do
    u=$(rps "$@" "$base/$url_path")
    n=$(rps "$@" "http://127.0.0.1:18091/$url_path")
    us="$us $u"; ns="$ns $n"; rs="$rs $(awk -v u="$u" -v n="$n" 'BEGIN {printf "%.3f", u / n}')"
  done
  echo "$(echo $us | median) $(echo $ns | median) $(echo $rs | median) $(echo $rs | tr ' ' '\n' | sort -g | sed -n '1p;$p' | tr '\n' ' ')"
}
out="bench/results/ext-ui-$(date -u +%Y-%m-%d).md"
mkdir -p bench/results
{
  echo "# /ext-ui/ vs nginx ($(date -u +%Y-%m-%dT%H:%MZ), wrk -t2 -c64 -d${seconds}s, $rounds alternating rounds, loopback, $(nproc) cores shared by client and server)"
  echo
  echo "| file | Accept-Encoding | uiserve req/s | nginx req/s | ratio (median of rounds) | lowest, highest round |"
  echo "|---|---|---|---|---|---|"
  for f in f1k.js f32k.js f1m.js f4m.js; do
    for enc in none "br, gzip"; do
      if [ "$enc" = none ]; then result=$(compare "$f"); else result=$(compare "$f" -H "Accept-Encoding: $enc"); fi
      set -- $result
      printf '| %s | %s | %s | %s | %.2f× | %.2f×, %.2f× |\n' "$f" "$enc" "$1" "$2" "$3" "$4" "$5"
    done
  done
  echo
  echo "uiserve peak RSS (VmHWM): $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/"$(cat "$work/uiserve.pid")"/status)"
} | tee "$out"
echo "written to $out" >&2
