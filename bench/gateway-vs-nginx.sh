#!/bin/sh
# Benchmark: the same fake Runner (nginx answering /v1/execute with a fixed envelope reply) called
# directly, through nginx `proxy_pass`, and through uiserve's /api/ext gateway (JWT check, install
# and endpoint resolution, envelope encoding, reply mapping). One run, loopback, keep-alive; prints
# requests per second and p50/p99 latency under load (32 connections), and on one connection the
# p50 each proxy adds over the direct call.
# Usage: bench/gateway-vs-nginx.sh [seconds-per-run]   (writes bench/results/gateway-<date>.md)
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-10}
sh scripts/setup.sh nginx-light wrk curl
swift build -c release --product uiserve >&2
uiserve="$(swift build -c release --show-bin-path)/uiserve"
work=$(mktemp -d /tmp/uiserve-gwbench.XXXXXX)
chmod 755 "$work"
cleanup() {
  [ -f "$work/uiserve.pid" ] && kill "$(cat "$work/uiserve.pid")" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 0.5; rm -rf "$work"
}
trap cleanup EXIT INT TERM

reply='{"status":200,"headers":{"content-type":"application/json"},"body_b64":"eyJvayI6dHJ1ZX0="}'
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  upstream runner { server 127.0.0.1:18101; keepalive 64; }
  server { listen 127.0.0.1:18101; location /v1/execute { default_type application/json; return 200 '$reply'; } }
  server {
    listen 127.0.0.1:18102;
    location / { proxy_pass http://runner/v1/execute; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
/usr/sbin/nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
until curl -s -o /dev/null http://127.0.0.1:18101/v1/execute; do sleep 0.2; done

secret="benchmark-secret-of-at-least-32-bytes"
export REGISTRY_URL="sqlite://$work/registry.sqlite" BUNDLE_STORE_BASE="$work/store" EXT_CACHE_ROOT="$work/cache" \
  SIGNING_TRUST_BUNDLE=fixtures/trust/demo.pem UISERVE_PORT=18100 RUNNER_BASE_URL=http://127.0.0.1:18101 EXT_GATEWAY_JWT_SECRET="$secret"
"$uiserve" bundle publish fixtures/demo/bundle.tar.zst >/dev/null
"$uiserve" install add --tenant t1 --extension acme.hello --version 1.0.0 >/dev/null
"$uiserve" serve > "$work/uiserve.log" 2>&1 &
echo $! > "$work/uiserve.pid"
until curl -s -o /dev/null http://127.0.0.1:18100/healthz; do sleep 0.2; done
token=$(python3 - "$secret" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"tenant": "t1", "sub": "bench", "exp": int(time.time()) + 3600}).encode())
sig = b64(hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
PY
)
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" http://127.0.0.1:18100/api/ext/acme.hello/items)
[ "$status" = 200 ] || { echo "bench: the gateway answered $status" >&2; cat "$work/uiserve.log" >&2; exit 1; }

# Loaded: 32 connections (throughput; p50 then includes queueing behind the 2 shared cores).
# Unloaded: 1 connection (the latency each hop adds to one call).
run() { connections=$1; shift; wrk -t$((connections > 1 ? 2 : 1)) -c"$connections" -d"${seconds}s" --latency "$@" 2>/dev/null | awk '/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print r, p50, p99}'; }
printf 'wrk.method = "POST"\n' > "$work/post.lua"
for c in 32 1; do
  eval "direct$c=\$(run $c -s '$work/post.lua' http://127.0.0.1:18101/v1/execute)"
  eval "proxied$c=\$(run $c http://127.0.0.1:18102/)"
  eval "gateway$c=\$(run $c -H 'Authorization: Bearer $token' http://127.0.0.1:18100/api/ext/acme.hello/items)"
done
direct=$direct32 proxied=$proxied32 gateway=$gateway32
# wrk prints latencies as 83.00us or 1.20ms; in microseconds:
micros() { echo "$1" | awk '{ v=$1; if (v ~ /ms$/) { sub(/ms$/, "", v); print v*1000 } else if (v ~ /us$/) { sub(/us$/, "", v); print v+0 } else { sub(/s$/, "", v); print v*1000000 } }'; }
added() { echo $(( $(micros "$(echo $1 | cut -d' ' -f2)" | cut -d. -f1) - $(micros "$(echo $direct1 | cut -d' ' -f2)" | cut -d. -f1) )); }
out="bench/results/gateway-$(date -u +%Y-%m-%d).md"
mkdir -p bench/results
{
  echo "# /api/ext gateway vs nginx proxy_pass ($(date -u +%Y-%m-%dT%H:%MZ), wrk -t2 -c32 -d${seconds}s, loopback, $(nproc) cores shared)"
  echo
  echo "| path | req/s | p50 | p99 |"
  echo "|---|---|---|---|"
  echo "| Runner directly | $(echo $direct | tr ' ' '|' | sed 's/|/ | /g') |"
  echo "| nginx proxy_pass | $(echo $proxied | tr ' ' '|' | sed 's/|/ | /g') |"
  echo "| uiserve gateway | $(echo $gateway | tr ' ' '|' | sed 's/|/ | /g') |"
  echo
  echo "gateway throughput / nginx: $(python3 -c "print(f'{float(\"${gateway%% *}\")/float(\"${proxied%% *}\"):.2f}')")×"
  echo
  echo "One connection (wrk -t1 -c1), the latency a call gains on its way through:"
  echo
  echo "| path | req/s | p50 | p99 | p50 added over the Runner directly |"
  echo "|---|---|---|---|---|"
  echo "| Runner directly | $(echo $direct1 | tr ' ' '|' | sed 's/|/ | /g') | |"
  echo "| nginx proxy_pass | $(echo $proxied1 | tr ' ' '|' | sed 's/|/ | /g') | $(added "$proxied1") µs |"
  echo "| uiserve gateway | $(echo $gateway1 | tr ' ' '|' | sed 's/|/ | /g') | $(added "$gateway1") µs |"
} | tee "$out"
