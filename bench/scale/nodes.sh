#!/usr/bin/env bash
# Several stratus nodes behind haproxy against one node, on this 2-core
# machine: every configuration shares PostgreSQL (scripts/pg-start) and a
# SeaweedFS bucket (scripts/s3-start), so what changes is only the number
# of stratus processes and the haproxy hop. Measured per configuration:
# image list req/s (wrk -t2 -c8, GET /v2/images?limit=25 over 200
# images), 4 KiB object PUT and GET ops/s (16 clients), and the CPU time
# the stratus processes and haproxy used per request (the per-node cost).
#   bench/scale/nodes.sh              # DUR=10s
# Needs haproxy, wrk, PostgreSQL, weed, go.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${BENCH_DIR:-$(mktemp -d /var/tmp/stratus-nodes.XXXXXX)}
DUR=${DUR:-10s}
BASE=${PORT:-18300}
S3PORT=${S3PORT:-31533}
PW=bench-pw
FRONT=127.0.0.1:$((BASE + 99))
go build -o "$W/stratus" ./cmd/stratus
go build -o "$W/load" ./bench/objectstore/load
PG=$(./scripts/pg-start)
DB=stratus_bench_$$
psql "$PG" -qc "CREATE DATABASE $DB" >/dev/null
DSN=${PG%/postgres*}/$DB?sslmode=disable
eval "$(S3PORT=$S3PORT S3DATA_DIR=$W/weed ./scripts/s3-start)"
PIDS=() HAPID=
cleanup() {
  for p in "${PIDS[@]}" $HAPID; do kill "$p" 2>/dev/null || true; done
  kill "$(cat "$W/weed/pid")" 2>/dev/null || true
  sleep 1; psql "$PG" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
export STRATUS_DATABASE=$DSN STRATUS_BLOB="s3://stratus-nodes?endpoint=http://127.0.0.1:$S3PORT" \
  STRATUS_CREDENTIAL_KEY_FILE=$W/credential.key STRATUS_PUBLIC_URL=http://$FRONT \
  STRATUS_ADMIN_PASSWORD=$PW STRATUS_LOG_LEVEL=warn

start_nodes() { # n (GOMAXPROCS passes through to the nodes)
  for i in $(seq 1 "$1"); do
    STRATUS_DATA_DIR=$W/n$i STRATUS_LISTEN=127.0.0.1:$((BASE + i)) "$W/stratus" serve >>"$W/n$i.log" 2>&1 &
    PIDS+=($!)
    until curl -fs "http://127.0.0.1:$((BASE + i))/healthz" >/dev/null 2>&1; do sleep 0.05; done
  done
  { printf 'global\n  maxconn 4096\n  nbthread 2\ndefaults\n  mode http\n  option http-keep-alive\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n'
    printf 'frontend f\n  bind %s\n  default_backend nodes\nbackend nodes\n  balance roundrobin\n  option httpchk GET /healthz\n' "$FRONT"
    for i in $(seq 1 "$1"); do printf '  server n%d 127.0.0.1:%d check inter 2s\n' "$i" $((BASE + i)); done
  } >"$W/haproxy.cfg"
  haproxy -db -f "$W/haproxy.cfg" >"$W/haproxy.log" 2>&1 &
  HAPID=$!
  until curl -fs "http://$FRONT/healthz" >/dev/null 2>&1; do sleep 0.05; done
}
stop_nodes() { for p in "${PIDS[@]}" $HAPID; do kill "$p"; wait "$p" 2>/dev/null || true; done; PIDS=(); HAPID=; }
ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo $t; }
auth() { # url
  local resp
  resp=$(curl -si -X POST "$1/identity/v3/auth/tokens" -H 'Content-Type: application/json' \
    -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"$PW\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"}}}}}")
  TOKEN=$(echo "$resp" | grep -i '^x-subject-token:' | awk '{print $2}' | tr -d '\r')
  PROJECT=$(echo "$resp" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"]["project"]["id"])')
}
# measure label url: one line per workload with ops/s and CPU ms per 1,000 requests.
measure() {
  local label=$1 url=$2 t0 h0 out ops n
  auth "$url"
  local surl=$url/object-store/v1/AUTH_$PROJECT
  for wl in list put get; do
    t0=$(ticks "${PIDS[@]}"); h0=$(ticks $HAPID)
    case $wl in
      list) out=$(wrk -t2 -c8 -d"$DUR" -H "X-Auth-Token: $TOKEN" "$url/image/v2/images?limit=25")
            ops=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out"); n=$(awk '/requests in/ {print $1}' <<<"$out") ;;
      put)  out=$("$W/load" -url "$surl" -token "$TOKEN" -mode put -size 4096 -clients 16 -duration "$DUR" -container "s$label")
            ops=$(sed 's/.*ops\/s=\([0-9]*\).*/\1/' <<<"$out"); n=$(sed 's/.* ops=\([0-9]*\) .*/\1/' <<<"$out") ;;
      get)  out=$("$W/load" -url "$surl" -token "$TOKEN" -mode get -objects 100 -clients 16 -duration "$DUR" -container "s$label")
            ops=$(sed 's/.*ops\/s=\([0-9]*\).*/\1/' <<<"$out"); n=$(sed 's/.* ops=\([0-9]*\) .*/\1/' <<<"$out") ;;
    esac
    local st=$(( $(ticks "${PIDS[@]}") - t0 )) hp=$(( $(ticks $HAPID) - h0 ))
    printf '%-16s %-5s %8s ops/s  stratus %6.2f CPU-ms/req  haproxy %5.2f CPU-ms/req\n' "$label" "$wl" "$ops" \
      "$(echo "$st*10/$n" | bc -l)" "$(echo "$hp*10/$n" | bc -l)"
  done
}

echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) $(uptime)"
start_nodes 1
auth "http://$FRONT"
for i in $(seq 1 200); do
  curl -fs -o /dev/null -X POST "http://$FRONT/image/v2/images" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\":\"img-$i\",\"disk_format\":\"raw\",\"container_format\":\"bare\"}"
done
measure "1 node direct" "http://127.0.0.1:$((BASE + 1))"
measure "1 node haproxy" "http://$FRONT"
stop_nodes
start_nodes 3
measure "3 nodes haproxy" "http://$FRONT"
stop_nodes
# Three Go runtimes on two cores each run 4 schedulers (cmd/stratus sets
# two per CPU); with one each, the nodes stop competing for the cores.
GOMAXPROCS=1 start_nodes 3
measure "3 nodes, 1 P each" "http://$FRONT"
stop_nodes
echo "workdir=$W"
