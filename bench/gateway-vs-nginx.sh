#!/bin/sh
# Benchmark: the same fake Runner (nginx answering /v1/execute with a fixed envelope reply) called
# directly, through nginx `proxy_pass`, and through uiserve's /api/ext gateway (JWT check, install
# and endpoint resolution, envelope encoding, reply mapping). One run, loopback, keep-alive; prints
# requests per second and p50/p99 latency, and the gateway's added p50 over the direct call.
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

run() { wrk -t2 -c32 -d"${seconds}s" --latency "$@" 2>/dev/null | awk '/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print r, p50, p99}'; }
direct=$(run -s /dev/stdin http://127.0.0.1:18101/v1/execute <<'LUA'
wrk.method = "POST"
LUA
)
proxied=$(run http://127.0.0.1:18102/)
gateway=$(run -H "Authorization: Bearer $token" http://127.0.0.1:18100/api/ext/acme.hello/items)
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
} | tee "$out"
