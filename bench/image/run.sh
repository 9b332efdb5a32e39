#!/usr/bin/env bash
# Image service benchmarks, measured the way Debian's Glance was measured
# on these machines: wrk -t2 -c8 -d10s on the same 2 cores, SQLite, local
# file store; stratus runs with Keystone tokens on (Glance ran without auth).
#
#   bench/image/run.sh            # everything
#   SIZE_MB=256 bench/image/run.sh  # smaller upload
#   SKIP_DATA=1 bench/image/run.sh  # list/get only
#   ONLY_DATA=1 bench/image/run.sh  # upload/download only (no seeding)
#   RUNS=5 ...                      # upload and dd runs (default 3; medians printed)
#
# Needs wrk, curl and go. Work files go to $BENCH_DIR (default a new dir
# under /var/tmp, which is on the same disk as the data dir).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BENCH_DIR:-$(mktemp -d /var/tmp/stratus-bench-image.XXXXXX)}
PORT=${PORT:-5090}
URL=http://127.0.0.1:$PORT
SIZE_MB=${SIZE_MB:-1024}
DUR=${DUR:-10s}
PW=bench-admin-pw
PID=

command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }
mkdir -p "$WORK"
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT

echo "# work dir $WORK; $(uptime)"
(cd "$ROOT" && go build -o "$WORK/stratus" ./cmd/stratus && go build -o "$WORK/seed" ./bench/image/seed && go build -o "$WORK/hashrate" ./bench/hashrate)

# start_node [admin-password]: starts stratus on $WORK/data and sets
# START_S to the seconds from exec to the first healthy answer.
start_node() {
	local t0 t1
	if curl -sf "$URL/healthz" >/dev/null 2>&1; then echo "something already answers on $URL" >&2; exit 1; fi
	t0=$(date +%s.%N)
	STRATUS_DATA_DIR=$WORK/data STRATUS_LISTEN=127.0.0.1:$PORT STRATUS_LOG_LEVEL=warn \
		STRATUS_ADMIN_PASSWORD=${1:-} "$WORK/stratus" serve >"$WORK/stratus.log" 2>&1 &
	PID=$!
	until curl -sf "$URL/healthz" >/dev/null 2>&1; do sleep 0.01; done
	t1=$(date +%s.%N)
	START_S=$(echo "$t1 - $t0" | bc -l | xargs printf '%.3f')
}
stop_node() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }
rss_mib() { awk '/VmRSS/ {printf "%.1f\n", $2/1024}' "/proc/$PID/status"; }

token() {
	curl -s -D - -o /dev/null -H 'Content-Type: application/json' "$URL/identity/v3/auth/tokens" -d \
		'{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"'$PW'"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' |
		awk 'tolower($1)=="x-subject-token:" {print $2}' | tr -d '\r'
}

# run_wrk name url: prints "name req/s p50 p99".
run_wrk() {
	local out
	out=$(wrk -t2 -c8 -d"$DUR" --latency -H "X-Auth-Token: $TOK" "$2")
	printf '%-28s %10s req/s  p50 %-9s p99 %s\n' "$1" \
		"$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
		"$(awk '$1=="50%" {print $2}' <<<"$out")" \
		"$(awk '$1=="99%" {print $2}' <<<"$out")"
}

rm -rf "$WORK/data"
start_node $PW
echo "first start (bootstrap, bcrypt cost 12): $START_S s"
token >/dev/null # the admin hash is computed in the background; let it land
stop_node
start_node
echo "start on existing data dir:               $START_S s"
sleep 2
echo "idle RSS: $(rss_mib) MiB"
TOK=$(token)
[ -n "$TOK" ] || { echo "no token" >&2; exit 1; }

if [ -z "${ONLY_DATA:-}" ]; then
ID=$("$WORK/seed" -url "$URL" -token "$TOK" -n 1000)
echo "## 1,000 images"
run_wrk "GET /v2/images?limit=25" "$URL/image/v2/images?limit=25"
run_wrk "GET /v2/images/{id}" "$URL/image/v2/images/$ID"
"$WORK/seed" -url "$URL" -token "$TOK" -n 9000 >/dev/null
echo "## 10,000 images"
run_wrk "GET /v2/images?limit=25" "$URL/image/v2/images?limit=25"
run_wrk "GET /v2/images/{id}" "$URL/image/v2/images/$ID"
run_wrk "Nova GET /images/detail" "$URL/compute/v2.1/images/detail?limit=25"
echo "RSS after list/get load: $(rss_mib) MiB"
fi

[ -n "${SKIP_DATA:-}" ] && { echo "# done; $(uptime)"; exit 0; }
echo "## ${SIZE_MB} MiB upload and download"
SRC=$WORK/src.bin
[ -s "$SRC" ] || head -c "${SIZE_MB}M" /dev/urandom >"$SRC"
cat "$SRC" >/dev/null # in the page cache, for stratus and dd alike
RUNS=${RUNS:-3}
mibs() { echo "$SIZE_MB / $1" | bc -l | xargs printf '%.0f'; }
load1() { cut -d' ' -f1 /proc/loadavg; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# The three measures alternate within each round, so that load from other
# processes falls on all of them alike. Each dd output is deleted and a sync
# settles the deletion before the next timed write: on a filesystem mounted
# with discard, the freed blocks are trimmed at the next journal commit,
# which the next writer's fsync would otherwise pay for.
: >"$WORK/up.txt"; : >"$WORK/ddz.txt"; : >"$WORK/ddf.txt"
for i in $(seq "$RUNS"); do
	t0=$(date +%s.%N)
	dd if=/dev/zero of="$WORK/dd.out" bs=4M count=$((SIZE_MB / 4)) conv=fsync status=none
	t1=$(date +%s.%N)
	r=$(mibs "($t1 - $t0)"); echo "$r" >>"$WORK/ddz.txt"
	echo "round $i: dd if=/dev/zero bs=4M conv=fsync: $r MiB/s (load $(load1))"
	rm -f "$WORK/dd.out"
	sync # the fs is mounted with discard: settle the delete before the next timed write
	t0=$(date +%s.%N)
	dd if="$SRC" of="$WORK/dd.out" bs=4M conv=fsync status=none
	t1=$(date +%s.%N)
	r=$(mibs "($t1 - $t0)"); echo "$r" >>"$WORK/ddf.txt"
	echo "round $i: dd if=src bs=4M conv=fsync:       $r MiB/s (load $(load1))"
	rm -f "$WORK/dd.out"
	sync # the fs is mounted with discard: settle the delete before the next timed write
	IMG=$(curl -s -H "X-Auth-Token: $TOK" -H 'Content-Type: application/json' "$URL/image/v2/images" \
		-d '{"name":"big","disk_format":"raw","container_format":"bare"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
	read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$PID/stat")
	t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -X PUT -T "$SRC" -H "X-Auth-Token: $TOK" \
		-H 'Content-Type: application/octet-stream' "$URL/image/v2/images/$IMG/file")
	read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$PID/stat")
	r=$(mibs "${t#* }"); echo "$r" >>"$WORK/up.txt"
	echo "round $i: upload HTTP ${t% *}:                $r MiB/s, server CPU user $(echo "($u1 - $u0) / $(getconf CLK_TCK)" | bc -l | xargs printf '%.2f') s sys $(echo "($s1 - $s0) / $(getconf CLK_TCK)" | bc -l | xargs printf '%.2f') s (load $(load1))"
done
echo "one-core hash ceiling (an upload must run both digests over every byte): $("$WORK/hashrate" "$SRC" | tr '\n' ' ')"
echo "median upload $(median <"$WORK/up.txt") MiB/s; dd from /dev/zero $(median <"$WORK/ddz.txt") MiB/s; dd from src $(median <"$WORK/ddf.txt") MiB/s"
echo "upload/dd(zero) $(echo "$(median <"$WORK/up.txt") / $(median <"$WORK/ddz.txt")" | bc -l | xargs printf '%.2f')"
for i in $(seq "$RUNS"); do
	t=$(curl -s -o /dev/null -w '%{speed_download}' -H "X-Auth-Token: $TOK" "$URL/image/v2/images/$IMG/file")
	echo "download run $i: $(echo "$t / 1048576" | bc -l | xargs printf '%.0f') MiB/s"
done
t0=$(date +%s.%N)
cat "$WORK/data/blobs/images/$IMG".* >/dev/null # each upload writes images/<id>.<random>
t1=$(date +%s.%N)
echo "cat of the blob file (page cache): $(echo "$SIZE_MB / ($t1 - $t0)" | bc -l | xargs printf '%.0f') MiB/s"
echo "RSS after upload/download: $(rss_mib) MiB"
echo "# done; $(uptime)"
