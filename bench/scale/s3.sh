#!/usr/bin/env bash
# 1 GiB object PUT/GET through stratus on the S3 blob backend against the
# SeaweedFS S3 gateway alone, with the same Go client program
# (bench/scale/s3rate: minio-go with stratus's part size and parallelism
# for the gateway, plain PUT/GET with a token for stratus), interleaved
# round by round because this disk's speed drifts. SeaweedFS fsyncs every
# bucket write (fs.configure -fsync), as stratus's filesystem store does.
#   bench/scale/s3.sh                 # ROUNDS=5 SIZE_MB=1024
#   UNSIGNED=1 bench/scale/s3.sh      # both sides with UNSIGNED-PAYLOAD
# Needs weed (scripts/install-weed), curl, go. Work files under /var/tmp.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${BENCH_DIR:-$(mktemp -d /var/tmp/stratus-s3bench.XXXXXX)}
ROUNDS=${ROUNDS:-5}
SIZE_MB=${SIZE_MB:-1024}
S3PORT=${S3PORT:-31433}
PORT=${PORT:-18281}
URL=http://127.0.0.1:$PORT
DATA=$W/data
PW=bench-pw
mkdir -p "$DATA"
go build -o "$W/stratus" ./cmd/stratus
go build -o "$W/s3rate" ./bench/scale/s3rate
eval "$(S3PORT=$S3PORT S3DATA_DIR=$W/weed ./scripts/s3-start)"
GW=http://127.0.0.1:$S3PORT
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; kill "$(cat "$W/weed/pid")" 2>/dev/null || true; }
trap cleanup EXIT
export STRATUS_BLOB="s3://stratus-bench?endpoint=$GW"
FLAGS=()
if [ -n "${UNSIGNED:-}" ]; then STRATUS_BLOB+="&unsigned_payload=true"; FLAGS+=(-unsigned); fi
. bench/objectstore/stratus.inc.sh
start
auth
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) $(uptime)"
"$W/s3rate" -gateway "$GW" -storage "$SURL" -token "$TOKEN" -size-mb "$SIZE_MB" -rounds "$ROUNDS" "${FLAGS[@]}"
echo "stratus_rss_kib=$(ps -o rss= -p "$PID") weed_rss_kib=$(ps -o rss= -p "$(cat "$W/weed/pid")")"
echo "workdir=$W"
