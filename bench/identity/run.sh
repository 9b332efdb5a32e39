#!/usr/bin/env bash
# Identity benchmarks: cold start, idle RSS, token validation and token
# issue rate. Usage: bench/identity/run.sh   (from the repository root)
# Needs wrk (apt-get install -y wrk). Figures go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/stratus-bench-identity.XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
pid=0
go build -o "$work/stratus" ./cmd/stratus
go build -o "$work/coldstart" ./bench/identity/coldstart
go build -o "$work/bcryptrate" ./bench/identity/bcryptrate
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3)"

echo "== cold start (bcrypt cost 12, 5 runs each)"
"$work/coldstart" -bin "$work/stratus" -runs 5 -bcrypt-cost 12

port=${PORT:-18500}
url=http://127.0.0.1:$port
STRATUS_DATA_DIR=$work/data STRATUS_LISTEN=127.0.0.1:$port STRATUS_ADMIN_PASSWORD=bench-admin \
STRATUS_BCRYPT_COST=12 STRATUS_LOG_LEVEL=${LOG_LEVEL:-info} "$work/stratus" serve >"$work/serve.log" 2>&1 &
pid=$!
until curl -sf -o /dev/null "$url/identity/v3"; do sleep 0.01; done
TOKEN=$(curl -si -H 'Content-Type: application/json' -d "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" bench/identity/issue.lua)" \
  "$url/identity/v3/auth/tokens" | awk 'tolower($1)=="x-subject-token:" {print $2}' | tr -d '\r')
export TOKEN
[ -n "$TOKEN" ] || { echo "no token"; exit 1; }

echo "== token validation: GET /identity/v3/auth/tokens, 8 connections, 10 s (access log level ${LOG_LEVEL:-info})"
wrk -t2 -c8 -d10s --latency -s bench/identity/validate.lua "$url/identity/v3/auth/tokens" | grep -E "Requests/sec|Latency|99%|Non-2xx"

echo "== token issue: POST /identity/v3/auth/tokens, password, bcrypt cost 12, 8 connections, 10 s"
wrk -t2 -c8 -d10s --latency --timeout 10s -s bench/identity/issue.lua "$url/identity/v3/auth/tokens" | grep -E "Requests/sec|Latency|99%|Non-2xx"

echo "== the ceiling: raw bcrypt verifications, same cost, no HTTP"
"$work/bcryptrate" -cost 12 -d 10s
echo "== load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== RSS after load: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
