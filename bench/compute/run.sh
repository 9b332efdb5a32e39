#!/usr/bin/env bash
# Compute benchmarks (issue 13), fake hypervisor driver, SQLite, local file store, Keystone tokens on:
#   1. create→ACTIVE of N_LAT servers (default 1,000), one server per POST /servers, C_LAT (8) at a time,
#      each polled every 5 ms until ACTIVE, on a /16 network (a port each): p50/p99;
#   2. GET /compute/v2.1/servers/detail?limit=100 with N_LIST servers (default 10,000; the rest seeded by
#      multi-create batches of 100) with wrk -t2 -c8 -d10s, tokens on; also /servers?limit=100;
#   3. createImage of a server whose root disk holds SIZE_MB (1024) of random bytes, POST until the image
#      is active (the job converts the disk to qcow2 with md5+sha512, fsyncs, publishes), against
#      `qemu-img convert -O qcow2` of the same disk file into the same directory (then plus `sync`, then plus
#      md5sum and sha512sum of the output run in parallel: the digests Glance records), RUNS (3) rounds
#      interleaved.
#
#   bash bench/compute/run.sh
#   N_LAT=200 N_LIST=2000 SIZE_MB=256 RUNS=1 bash bench/compute/run.sh   # quick check
#   SKIP_LIST=1 / SKIP_IMAGE=1 / SKIP_LAT=1                                # parts
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N_LAT=${N_LAT:-1000}
C_LAT=${C_LAT:-8}
N_LIST=${N_LIST:-10000}
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
DUR=${DUR:-10s}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }
command -v qemu-img >/dev/null || { echo "qemu-img missing: apt-get install -y qemu-utils" >&2; exit 1; }
WORK=${BENCH_DIR:-$(mktemp -d /var/tmp/stratus-bench-compute.XXXXXX)}
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
URL=http://127.0.0.1:$PORT
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT
echo "# work dir $WORK; $(uptime)"
(cd "$ROOT" && go build -o "$WORK/stratus" ./cmd/stratus && go build -o "$WORK/boot" ./bench/compute/boot)
STRATUS_ADMIN_PASSWORD=bench STRATUS_BCRYPT_COST=4 STRATUS_LOG_LEVEL=warn "$WORK/stratus" serve --data-dir "$WORK/data" \
	--listen "127.0.0.1:$PORT" --compute-hosts compute-1,compute-2,compute-3 >"$WORK/stratus.log" 2>&1 &
PID=$!
for _ in $(seq 1 200); do curl -fsS "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
TOKEN=$(curl -si -H 'Content-Type: application/json' -d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"bench"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' \
	"$URL/identity/v3/auth/tokens" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}')
PROJECT=$(curl -s -H "X-Auth-Token: $TOKEN" -H "X-Subject-Token: $TOKEN" "$URL/identity/v3/auth/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"]["project"]["id"])')
api() { curl -fsS -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' "$@"; }
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }

api -X PUT "$URL/compute/v2.1/os-quota-sets/$PROJECT" -d '{"quota_set":{"instances":-1,"cores":-1,"ram":-1}}' >/dev/null
api -X PUT "$URL/networking/v2.0/quotas/$PROJECT" -d '{"quota":{"port":-1}}' >/dev/null
# upload_image FILE: a raw image of FILE's bytes; prints its id.
upload_image() {
	local id
	id=$(api -X POST "$URL/image/v2/images" -d '{"name":"bench-'$RANDOM'","disk_format":"raw","container_format":"bare"}' | jget '["id"]')
	api -X PUT -H 'Content-Type: application/octet-stream' -T "$1" "$URL/image/v2/images/$id/file" >/dev/null
	echo "$id"
}
head -c 1M /dev/urandom >"$WORK/small.raw"
SMALL=$(upload_image "$WORK/small.raw")
NET=$(api -X POST "$URL/networking/v2.0/networks" -d '{"network":{"name":"bench"}}' | jget '["network"]["id"]')
api -X POST "$URL/networking/v2.0/subnets" -d '{"subnet":{"network_id":"'$NET'","cidr":"10.20.0.0/16","ip_version":4}}' >/dev/null

if [ -z "${SKIP_LAT:-}" ]; then
	echo "## create→ACTIVE, $N_LAT servers, $C_LAT at a time, one port each"
	"$WORK/boot" -url "$URL" -token "$TOKEN" -image "$SMALL" -network "$NET" -mode latency -n "$N_LAT" -c "$C_LAT"
fi

if [ -z "${SKIP_LIST:-}" ]; then
	count() { api "$URL/compute/v2.1/os-hypervisors/statistics" | jget '["hypervisor_statistics"]["running_vms"]'; }
	have=$(count)
	if [ "$have" -lt "$N_LIST" ]; then
		"$WORK/boot" -url "$URL" -token "$TOKEN" -image "$SMALL" -network "$NET" -mode seed -n $((N_LIST - have)) -batch 100 -c 2
	fi
	echo "## $(count) servers"
	for path in "servers/detail?limit=100" "servers?limit=100"; do
		out=$(wrk -t2 -c8 -d"$DUR" --latency -H "X-Auth-Token: $TOKEN" "$URL/compute/v2.1/$path")
		printf '%-28s %10s req/s  p50 %-9s p99 %s\n' "GET /$path" \
			"$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
	done
	echo "RSS after the list load: $(awk '/VmRSS/ {printf "%.1f MiB\n", $2/1024}' /proc/$PID/status)"
fi

if [ -z "${SKIP_IMAGE:-}" ]; then
	echo "## createImage of a server with $SIZE_MB MiB of random bytes on its root disk"
	head -c "${SIZE_MB}M" /dev/urandom >"$WORK/big.raw"
	BIG=$(upload_image "$WORK/big.raw")
	rm -f "$WORK/big.raw"
	flavor=1
	if [ "$SIZE_MB" -gt 1024 ]; then flavor=2; fi
	SV=$(api -X POST "$URL/compute/v2.1/servers" -d '{"server":{"name":"img-src","imageRef":"'$BIG'","flavorRef":"'$flavor'","networks":"none"}}' -H 'OpenStack-API-Version: compute 2.37' | jget '["server"]["id"]')
	until [ "$(api "$URL/compute/v2.1/servers/$SV" | jget '["server"]["status"]')" = ACTIVE ]; do sleep 0.1; done
	DISK=$WORK/data/instances/$SV/disk
	ls -ls "$DISK"
	for run in $(seq 1 "$RUNS"); do
		t0=$(now)
		IMG=$(api -X POST "$URL/compute/v2.1/servers/$SV/action" -H 'OpenStack-API-Version: compute 2.45' \
			-d '{"createImage":{"name":"snap-'$run'"}}' | jget '["image_id"]')
		until [ "$(api "$URL/image/v2/images/$IMG" | jget '["status"]')" = active ]; do sleep 0.02; done
		t1=$(now)
		st=$(secs "$t0" "$t1")
		size=$(api "$URL/image/v2/images/$IMG" | jget '["size"]')
		until [ "$(api "$URL/compute/v2.1/servers/$SV" | jget '["server"]["OS-EXT-STS:task_state"]')" = None ]; do sleep 0.02; done
		api -X DELETE "$URL/image/v2/images/$IMG" >/dev/null
		t0=$(now)
		qemu-img convert -O qcow2 "$DISK" "$WORK/q.qcow2"
		t1=$(now)
		sync "$WORK/q.qcow2"
		t2=$(now)
		md5sum "$WORK/q.qcow2" >/dev/null &
		p1=$!
		sha512sum "$WORK/q.qcow2" >/dev/null &
		p2=$!
		wait "$p1" "$p2"
		t3=$(now)
		qi=$(secs "$t0" "$t1")
		qs=$(secs "$t0" "$t2")
		qh=$(secs "$t0" "$t3")
		printf 'run %d: stratus createImage %.2f s (%s bytes qcow2) | qemu-img convert -O qcow2 %.2f s, + sync %.2f s, + md5sum and sha512sum of the output (in parallel) %.2f s | ratio %.2f× / %.2f× / %.2f×\n' \
			"$run" "$st" "$size" "$qi" "$qs" "$qh" "$(echo "$st / $qi" | bc -l)" "$(echo "$st / $qs" | bc -l)" "$(echo "$st / $qh" | bc -l)"
		rm -f "$WORK/q.qcow2"
	done
fi
