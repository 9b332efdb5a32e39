#!/usr/bin/env bash
# Object-storage benchmark: the same shapes as the Swift 2.30 baseline
# (16 clients x 20 s of 4 KiB PUT then GET; 256 MiB and 1 GiB PUT/GET with
# curl; start time; RSS; listing a 1,000-object page out of 1,000,000).
# Everything runs on 127.0.0.1; every 201 is after fsync.
# Usage: bench/objectstore/run.sh [workdir]   (default: a temp dir under /var/tmp)
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${1:-$(mktemp -d /var/tmp/stratus-osbench.XXXXXX)}
DATA=$W/data
PORT=${PORT:-18181}
URL=http://127.0.0.1:$PORT
PW=bench-pw
DUR=${DUR:-20s}
mkdir -p "$DATA"
go build -o "$W/stratus" ./cmd/stratus
go build -o "$W/load" ./bench/objectstore/load
go build -o "$W/seed" ./bench/objectstore/seed
go build -o "$W/hashrate" ./bench/hashrate

. bench/objectstore/stratus.inc.sh

echo "== start"
start
auth
echo "== 4 KiB PUT, 16 clients, $DUR"
"$W/load" -url "$SURL" -token "$TOKEN" -mode put -size 4096 -clients 16 -duration "$DUR" -container small
echo "== 4 KiB GET, 16 clients, $DUR"
"$W/load" -url "$SURL" -token "$TOKEN" -mode get -objects 100 -clients 16 -duration "$DUR" -container small
echo "rss_kib_after_small=$(ps -o rss= -p "$PID")"

echo "== large objects (curl)"
SRC=/dev/shm/stratus-osbench-src
curl -fs -X PUT -H "X-Auth-Token: $TOKEN" "$SURL/large" -o /dev/null
for MB in 256 1024; do
  head -c $((MB << 20)) /dev/urandom >"$SRC"
  put=$(curl -fs -o /dev/null -w '%{time_total}' -X PUT -T "$SRC" -H "X-Auth-Token: $TOKEN" "$SURL/large/o$MB")
  get=$(curl -fs -o /dev/null -w '%{time_total}' -H "X-Auth-Token: $TOKEN" "$SURL/large/o$MB")
  echo "size_mib=$MB put_s=$put put_MBps=$(echo "scale=0; $MB*1048576/1000000/$put" | bc) get_s=$get get_MBps=$(echo "scale=0; $MB*1048576/1000000/$get" | bc)"
done
echo "== md5 on one core (the ETag of every byte; a PUT cannot be faster): $("$W/hashrate" "$SRC" | head -1)"
echo "== dd bs=4M conv=fsync, 1 GiB to the same disk"
dd if="$SRC" of="$DATA/dd.test" bs=4M conv=fsync 2>&1 | tail -1
rm -f "$DATA/dd.test" "$SRC"
echo "rss_kib_after_large=$(ps -o rss= -p "$PID")"
stop

echo "== listing: 1,000-object pages out of 1,000,000"
"$W/seed" -data-dir "$DATA" -account "AUTH_$PROJECT" -container list -n 1000000
start
auth
"$W/load" -url "$SURL" -token "$TOKEN" -mode list -limit 1000 -clients 16 -duration 10s -container list
"$W/load" -url "$SURL" -token "$TOKEN" -mode list -limit 1000 -clients 1 -duration 10s -container list
stop
echo "workdir=$W"
