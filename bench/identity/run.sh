#!/usr/bin/env bash
# Identity benchmarks: cold start, idle RSS, token validation and token
# issue rate. Usage: bench/identity/run.sh   (from the repository root)
# Needs wrk (apt-get install -y wrk). Figures go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/stratus-bench-identity.XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
pid=0
# NICE=-10 gives the measured processes priority on a shared machine.
run() { nice -n "${NICE:-0}" "$@"; }
go build -o "$work/stratus" ./cmd/stratus
go build -o "$work/coldstart" ./bench/identity/coldstart
go build -o "$work/bcryptrate" ./bench/identity/bcryptrate
go build -o "$work/issuerate" ./bench/identity/issuerate
echo "== nice ${NICE:-0}; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3)"

echo "== cold start (bcrypt cost 12, 5 runs each)"
run "$work/coldstart" -bin "$work/stratus" -runs 5 -bcrypt-cost 12

port=${PORT:-18500}
url=http://127.0.0.1:$port
STRATUS_DATA_DIR=$work/data STRATUS_LISTEN=127.0.0.1:$port STRATUS_ADMIN_PASSWORD=bench-admin \
STRATUS_BCRYPT_COST=12 STRATUS_LOG_LEVEL=${LOG_LEVEL:-info} nice -n "${NICE:-0}" "$work/stratus" serve >"$work/serve.log" 2>&1 &
pid=$!
until curl -sf -o /dev/null "$url/identity/v3"; do sleep 0.01; done
TOKEN=$(curl -si -H 'Content-Type: application/json' -d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"bench-admin"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' \
  "$url/identity/v3/auth/tokens" | awk 'tolower($1)=="x-subject-token:" {print $2}' | tr -d '\r')
export TOKEN
[ -n "$TOKEN" ] || { echo "no token"; exit 1; }

# cpu prints the server's CPU time in ms (utime+stime, clock ticks of 10 ms).
cpu() { awk '{print ($14+$15)*10}' /proc/$pid/stat; }
# load runs wrk and reports the server CPU per request, which the other
# tenants of a shared machine do not inflate much.
load() {
  local c0 out n c1
  c0=$(cpu)
  out=$(run wrk "$@")
  c1=$(cpu)
  echo "$out" | grep -E "Requests/sec|Latency|99%|Non-2xx|requests in"
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  awk -v c=$((c1 - c0)) -v n="$n" 'BEGIN {if (n > 0) printf "    server CPU per request: %.3f ms, so %.0f req/s on 2 idle cores\n", c/n, 2000/(c/n)}'
}
echo "== token validation: GET /identity/v3/auth/tokens, 8 connections, 10 s (access log level ${LOG_LEVEL:-info})"
load -t2 -c8 -d10s --latency -s bench/identity/validate.lua "$url/identity/v3/auth/tokens"

echo "== token issue: POST /identity/v3/auth/tokens, password, bcrypt cost 12, 8 clients, 20 s (in-flight requests finished and counted)"
run "$work/issuerate" -url "$url" -c 8 -d 20s -pid $pid

echo "== the ceiling: raw bcrypt verifications, same cost, no HTTP"
run "$work/bcryptrate" -cost 12 -d 10s
echo "== load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== RSS after load: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
