#!/usr/bin/env bash
# Import/export benchmarks (issue 12), every pair measured in the same run,
# interleaved, RUNS times each (medians printed):
#
#   import   1 GiB mixed streamOptimized VMDK in object storage -> active raw
#            image with its SHA1 checked (POST /import/v1/imageimport, polled)
#   chain    what a user runs today for the same result: swift download +
#            sha1sum + qemu-img convert -O raw + openstack image create
#   convert  stratus image convert of the same file computing the same sums
#            (source sha1, output md5 and sha512) and fsyncing its output
#   export   POST /import/v1/imageexport of the imported image, polled
#   qexport  qemu-img convert -O vmdk -o subformat=streamOptimized + swift upload
#
# bench/imports/k5 times the import and the export (POST to the poll that
# sees them finished, every 10 ms) and samples the server's RSS during the
# import every 10 ms from /proc/PID/status.
#
#   bench/imports/run.sh                # 1 GiB, 3 runs
#   SIZE_MB=256 RUNS=1 bench/imports/run.sh
#
# Needs qemu-img, swift, openstack, curl, bc, python3 and go. Work files go to
# $BENCH_DIR (default a new dir under /var/tmp, the data dir's disk).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BENCH_DIR:-$(mktemp -d /var/tmp/stratus-bench-imports.XXXXXX)}
PORT=${PORT:-5091}
URL=http://127.0.0.1:$PORT
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
PW=bench-admin-pw
PID=

for t in qemu-img swift openstack curl bc; do command -v $t >/dev/null || { echo "$t missing" >&2; exit 1; }; done
mkdir -p "$WORK"
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT
echo "# work dir $WORK; size ${SIZE_MB} MiB; runs $RUNS; $(nproc) cores; $(uptime)"
(cd "$ROOT" && go build -o "$WORK/stratus" ./cmd/stratus && go build -o "$WORK/k5" ./bench/imports/k5)

# The disk: 4 MiB chunks in turn random, zero, and repeated text (the
# "mixed" content of issue 12), as qemu-img's streamOptimized VMDK.
if [ ! -f "$WORK/disk.vmdk" ]; then
	python3 - "$WORK/disk.raw" "$SIZE_MB" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    for i in range(int(sys.argv[2]) // 4):
        if i % 3 == 0:
            f.write(os.urandom(4 << 20))
        elif i % 3 == 1:
            f.write(bytes(4 << 20))
        else:
            line = b"stratus import benchmark %d\n" % i
            f.write((line * ((4 << 20) // len(line) + 1))[: 4 << 20])
PY
	qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$WORK/disk.raw" "$WORK/disk.vmdk"
fi
SHA1=$(sha1sum "$WORK/disk.vmdk" | cut -d' ' -f1)
echo "# disk.vmdk: $(stat -c %s "$WORK/disk.vmdk") bytes for $(stat -c %s "$WORK/disk.raw") raw"

rm -rf "$WORK/data"
STRATUS_DATA_DIR=$WORK/data STRATUS_LISTEN=127.0.0.1:$PORT STRATUS_LOG_LEVEL=warn STRATUS_ADMIN_PASSWORD=$PW \
	STRATUS_BCRYPT_COST=4 "$WORK/stratus" serve >"$WORK/stratus.log" 2>&1 &
PID=$!
until curl -sf "$URL/healthz" >/dev/null 2>&1; do sleep 0.05; done

export OS_AUTH_URL=$URL/identity/v3 OS_USERNAME=admin OS_PASSWORD=$PW OS_PROJECT_NAME=admin \
	OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne \
	OS_AUTH_TYPE=password
TOK=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' "$URL/identity/v3/auth/tokens" -d \
	'{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"'$PW'"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' |
	awk 'tolower($1)=="x-subject-token:" {print $2}' | tr -d '\r')
PROJ=$(curl -s -H "X-Auth-Token: $TOK" -H "X-Subject-Token: $TOK" "$URL/identity/v3/auth/tokens" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["token"]["project"]["id"])')
OBJ=$URL/object-store/v1/AUTH_$PROJ
curl -sf -X PUT -H "X-Auth-Token: $TOK" "$OBJ/bench" >/dev/null
curl -sf -X PUT -H "X-Auth-Token: $TOK" -T "$WORK/disk.vmdk" "$OBJ/bench/disk.vmdk" >/dev/null

now() { date +%s.%N; }
declare -a T_IMPORT T_CHAIN T_CONVERT T_EXPORT T_QEXPORT RSS
IMAGE=
for ((r = 1; r <= RUNS; r++)); do
	# import: k5 posts, polls every 10 ms and samples the server's RSS
	read -r ti rss IMAGE < <("$WORK/k5" -url "$URL" -token "$TOK" -pid "$PID" -import \
		'{"name":"bench-'$r'","location":"/v1/AUTH_'$PROJ'/bench/disk.vmdk","checksum":"'$SHA1'","os_type":"Red Hat Enterprise Linux 7"}')
	T_IMPORT+=("$ti")
	RSS+=("$rss")

	# chain
	rm -f "$WORK/dl.vmdk" "$WORK/dl.raw"
	t0=$(now)
	(cd "$WORK" && swift -q download bench disk.vmdk -o dl.vmdk)
	[ "$(sha1sum "$WORK/dl.vmdk" | cut -d' ' -f1)" = "$SHA1" ]
	qemu-img convert -O raw "$WORK/dl.vmdk" "$WORK/dl.raw"
	openstack image create --disk-format raw --container-format bare --file "$WORK/dl.raw" "chain-$r" -f value -c id >/dev/null
	t1=$(now)
	T_CHAIN+=("$(echo "$t1 - $t0" | bc -l)")
	rm -f "$WORK/dl.vmdk" "$WORK/dl.raw"

	# convert
	t0=$(now)
	# With the server's runtime settings (cmd/stratus/runtime.go: GOGC 400,
	# two schedulers per CPU), so that both share a busy machine alike.
	GOGC=400 GOMAXPROCS=$((2 * $(nproc))) "$WORK/stratus" image convert -q -f vmdk -O raw --src-checksum sha1 --out-checksum md5,sha512 --sync "$WORK/disk.vmdk" "$WORK/cv.raw" >/dev/null
	t1=$(now)
	T_CONVERT+=("$(echo "$t1 - $t0" | bc -l)")
	rm -f "$WORK/cv.raw"

	# export
	curl -sf -X PUT -H "X-Auth-Token: $TOK" "$OBJ/out$r" >/dev/null
	read -r te _ _ < <("$WORK/k5" -url "$URL" -token "$TOK" -export '{"image_id":"'$IMAGE'","storage_container":"/v1/AUTH_'$PROJ'/out'$r'"}')
	T_EXPORT+=("$te")

	# qemu-img export
	t0=$(now)
	qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$WORK/disk.raw" "$WORK/q.vmdk"
	(cd "$WORK" && swift -q upload "qout$r" q.vmdk)
	t1=$(now)
	T_QEXPORT+=("$(echo "$t1 - $t0" | bc -l)")
	rm -f "$WORK/q.vmdk"
	printf 'run %d: import %.2f s (RSS +%d MiB)  chain %.2f s  convert %.2f s  export %.2f s  qemu-img+swift %.2f s\n' \
		"$r" "${T_IMPORT[-1]}" "${RSS[-1]}" "${T_CHAIN[-1]}" "${T_CONVERT[-1]}" "${T_EXPORT[-1]}" "${T_QEXPORT[-1]}"
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mi=$(median "${T_IMPORT[@]}"); mc=$(median "${T_CHAIN[@]}"); mv=$(median "${T_CONVERT[@]}")
me=$(median "${T_EXPORT[@]}"); mq=$(median "${T_QEXPORT[@]}")
echo "## medians of $RUNS runs"
printf 'import %.2f s, chain %.2f s: %.2fx (goal <= 0.5x)\n' "$mi" "$mc" "$(echo "$mi / $mc" | bc -l)"
printf 'import %.2f s, stratus image convert %.2f s: %.2fx (goal <= 1.2x)\n' "$mi" "$mv" "$(echo "$mi / $mv" | bc -l)"
printf 'peak RSS growth during imports: %s MiB (max %s; goal <= 64)\n' "$(median "${RSS[@]}")" "$(printf '%s\n' "${RSS[@]}" | sort -n | tail -1)"
printf 'export %.2f s, qemu-img + swift upload %.2f s: %.2fx (goal <= 0.3x)\n' "$me" "$mq" "$(echo "$me / $mq" | bc -l)"
