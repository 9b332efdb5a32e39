#!/usr/bin/env bash
# Debian's Glance 25 measured the way bench/image/run.sh measures stratus's
# image service, on the same machine, so that the ratios can come from one
# sitting instead of an old reference run.
#
#   bash bench/image/glance.sh                    # everything (a few minutes)
#   N_SMALL=100 N_LARGE=300 RUNS=1 SIZE_MB=64 bash bench/image/glance.sh   # quick check
#   RUNS=5 ...          upload rounds (default 3; medians printed)
#   SIZE_MB=256 ...     smaller upload (default 1024 = 1 GiB)
#   DUR=30s ...         wrk duration (default 10s)
#
# What it measures (each printed in bench/image/run.sh's style):
#   - start time: exec of glance-api until GET /versions answers (fresh
#     database after `glance-manage db_sync`, then a restart on it);
#   - idle RSS: sum of VmRSS of the parent and its 2 worker processes (the
#     workers are forked, so shared pages are counted up to three times; the
#     sum of Pss is printed beside it);
#   - images seeded through the API (bench/image/glance/seed.py, 8 threads,
#     the same body as bench/image/seed), with the seeding rate;
#   - wrk -t2 -c8 -d10s --latency on GET /v2/images?limit=25, on GET
#     /v2/images/{id} of a random existing image per request
#     (bench/image/glance/get.lua), and of one fixed id (as run.sh does),
#     at N_SMALL (1,000) and N_LARGE (10,000) images;
#   - a SIZE_MB (1 GiB) upload of random bytes from /dev/shm with curl -T
#     into a queued raw/bare image, RUNS rounds, median MiB/s. Glance writes
#     the file without fsync, so each round then times `sync FILE` (an fsync
#     of that one image file, coreutils 9) and prints the rate including it;
#     plus the workers' CPU seconds per upload and one download per round.
#
# How Glance runs (bench/image/glance/glance-api.conf.in): Debian bookworm's
# glance-api 2:25.1.0, the eventlet console script /usr/bin/glance-api (the
# one Debian's init script starts; Debian's init script says "Glance appears
# broken with uwsgi"), workers = 2, bound to 127.0.0.1:$PORT (19292, so
# nothing clashes with a system Glance on 9292), [paste_deploy] flavor empty
# = the unauthenticated pipeline: its unauthenticated-context middleware
# makes every request an admin request with no user and no project, so no
# token or X-Tenant-Id/X-Roles header is needed (they are ignored) and
# images get owner null; SQLite database and file store (stores = file) in
# a temp dir under /var/tmp (the disk stratus's run.sh uses); INFO logging
# to a file, as a deployed Glance logs. Everything is removed at exit.
#
# Installs glance-api with apt-get if missing (Debian bookworm; runs as root).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${PORT:-19292}
URL=http://127.0.0.1:$PORT
N_SMALL=${N_SMALL:-1000}
N_LARGE=${N_LARGE:-10000}
RUNS=${RUNS:-3}
SIZE_MB=${SIZE_MB:-1024}
DUR=${DUR:-10s}
PY=/usr/bin/python3
PID=
WORK=
SRC=

command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }
command -v bc >/dev/null || { echo "bc missing: apt-get install -y bc" >&2; exit 1; }

# 1. Install Debian's glance-api if missing, without leaving a system
# service behind.
if ! dpkg-query -W -f='${Status}' glance-api 2>/dev/null | grep -q 'ok installed'; then
	echo "# installing glance-api"
	DEBIAN_FRONTEND=noninteractive flock /tmp/apt.lock apt-get install -y --no-install-recommends glance-api >&2
	# Debian's postinst starts the service unless policy-rc.d forbids it.
	if [ -d /run/systemd/system ]; then
		systemctl disable --now glance-api >&2 || true
	else
		/etc/init.d/glance-api stop >&2 || true
		update-rc.d glance-api disable >&2 || true
	fi
fi
echo "# $(dpkg-query -W -f='glance-api ${Version}' glance-api), $(/usr/bin/python3 --version)"
if pgrep -f "^/usr/bin/python3 /usr/bin/glance-api" >/dev/null; then
	echo "# note: another glance-api is running: $(pgrep -a -f '^/usr/bin/python3 /usr/bin/glance-api' | head -3 | tr '\n' ';')"
fi
if curl -s -o /dev/null "$URL/versions" 2>/dev/null; then echo "something already answers on $URL" >&2; exit 1; fi

# 2. Glance in its own temp dir.
WORK=$(mktemp -d /var/tmp/glance-bench.XXXXXX)
SRC=$(mktemp /dev/shm/glance-bench-src.XXXXXX)
# workers: the parent's children (the API workers).
workers() { [ -n "$PID" ] && pgrep -P "$PID" || true; }
stop_glance() {
	[ -n "$PID" ] || return 0
	local w
	w=$(workers)
	kill "$PID" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	# shellcheck disable=SC2086
	[ -z "$w" ] || kill -9 $w 2>/dev/null || true
	PID=
}
cleanup() {
	stop_glance
	[ -n "$WORK" ] && rm -rf "$WORK"
	[ -n "$SRC" ] && rm -f "$SRC"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/images" "$WORK/lock"
sed "s#@DIR@#$WORK#g; s#@PORT@#$PORT#g" "$HERE/glance/glance-api.conf.in" >"$WORK/glance-api.conf"
cp /usr/share/glance-common/glance-api-paste.ini "$WORK/"
echo "# work dir $WORK; $(date -u '+%Y-%m-%d %H:%M:%S UTC'); $(uptime)"

t0=$(date +%s.%N)
(cd "$WORK" && glance-manage --config-file "$WORK/glance-api.conf" db_sync >"$WORK/db_sync.log" 2>&1) ||
	{ cat "$WORK/db_sync.log" >&2; exit 1; }
t1=$(date +%s.%N)
echo "glance-manage db_sync (SQLite):           $(echo "$t1 - $t0" | bc -l | xargs printf '%.2f') s"

# start_glance sets START_S to the seconds from exec to the first answer of
# GET /versions (the request goes through the whole paste pipeline).
start_glance() {
	local t0 t1
	t0=$(date +%s.%N)
	(cd "$WORK" && exec glance-api --config-file "$WORK/glance-api.conf") >>"$WORK/stdout.log" 2>&1 &
	PID=$!
	until curl -sf -o /dev/null "$URL/versions" 2>/dev/null; do
		kill -0 "$PID" 2>/dev/null || { echo "glance-api died:" >&2; tail -20 "$WORK/stdout.log" "$WORK/glance-api.log" >&2; exit 1; }
		sleep 0.01
	done
	t1=$(date +%s.%N)
	START_S=$(echo "$t1 - $t0" | bc -l | xargs printf '%.3f')
}
# rss: "RSS sum MiB (parent + workers), Pss sum MiB, process count".
rss() {
	local p pids rss=0 pss=0 n=0
	pids="$PID $(workers)"
	for p in $pids; do
		rss=$((rss + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status")))
		pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")))
		n=$((n + 1))
	done
	printf '%.1f MiB (sum of %d processes; Pss sum %.1f MiB)' "$(echo "$rss / 1024" | bc -l)" "$n" "$(echo "$pss / 1024" | bc -l)"
}
# cpu_ticks: utime+stime of the parent and workers.
cpu_ticks() {
	local p t=0
	for p in $PID $(workers); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
	echo "$t"
}

start_glance
echo "first start (fresh database):             $START_S s"
stop_glance
start_glance
echo "start on existing database:               $START_S s"
[ "$(workers | wc -l)" -eq 2 ] || echo "# warning: $(workers | wc -l) worker processes, expected 2"
sleep 2
echo "idle RSS: $(rss)"

# run_wrk name [wrk args... url [-- script args]]: prints "name req/s p50 p99".
run_wrk() {
	local name=$1 out non
	shift
	out=$(wrk -t2 -c8 -d"$DUR" --latency "$@")
	non=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	printf '%-28s %10s req/s  p50 %-9s p99 %s%s\n' "$name" \
		"$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
		"$(awk '$1=="50%" {print $2}' <<<"$out")" \
		"$(awk '$1=="99%" {print $2}' <<<"$out")" \
		"${non:+  NON-2xx: $non}"
}
# seed n: creates n more images, appending their ids to $WORK/ids.txt.
seed() {
	local have t0 t1 s
	have=$(wc -l <"$WORK/ids.txt")
	t0=$(date +%s.%N)
	"$PY" "$HERE/glance/seed.py" "$URL" "$1" "$have" "$WORK/ids.txt"
	t1=$(date +%s.%N)
	s=$(echo "$t1 - $t0" | bc -l)
	printf 'seeded %d images in %.1f s (%.0f images/s; %d in all)\n' "$1" "$s" "$(echo "$1 / $s" | bc -l)" "$(wc -l <"$WORK/ids.txt")"
}
list_get() {
	run_wrk "GET /v2/images?limit=25" "$URL/v2/images?limit=25"
	run_wrk "GET /v2/images/{id} random" -s "$HERE/glance/get.lua" "$URL" -- "$WORK/ids.txt"
	run_wrk "GET /v2/images/{id} one id" "$URL/v2/images/$(sed -n "${N_SMALL}p" "$WORK/ids.txt")"
}

: >"$WORK/ids.txt"
seed "$N_SMALL"
echo "## $N_SMALL images ($(uptime | sed 's/.*load/load/'))"
list_get
if [ "$N_LARGE" -gt "$N_SMALL" ]; then
	seed $((N_LARGE - N_SMALL))
	echo "## $N_LARGE images ($(uptime | sed 's/.*load/load/'))"
	list_get
fi
echo "RSS after list/get load: $(rss)"

# 3. Uploads.
echo "## ${SIZE_MB} MiB upload (curl -T from /dev/shm), then sync of the image file"
head -c "${SIZE_MB}M" /dev/urandom >"$SRC"
mibs() { echo "$SIZE_MB / ($1)" | bc -l | xargs printf '%.0f'; }
load1() { cut -d' ' -f1 /proc/loadavg; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
TCK=$(getconf CLK_TCK)
: >"$WORK/up.txt"; : >"$WORK/upsync.txt"; : >"$WORK/sync.txt"; : >"$WORK/down.txt"
for i in $(seq "$RUNS"); do
	IMG=$(curl -sf -H 'Content-Type: application/json' "$URL/v2/images" \
		-d '{"name":"big","disk_format":"raw","container_format":"bare"}' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	c0=$(cpu_ticks)
	t=$(curl -s -o "$WORK/put.out" -w '%{http_code} %{time_total}' -X PUT -T "$SRC" \
		-H 'Content-Type: application/octet-stream' "$URL/v2/images/$IMG/file")
	c1=$(cpu_ticks)
	[ "${t% *}" = 204 ] || { echo "upload failed: HTTP ${t% *} $(head -c 300 "$WORK/put.out")" >&2; exit 1; }
	s0=$(date +%s.%N)
	sync "$WORK/images/$IMG"
	s1=$(date +%s.%N)
	sy=$(echo "$s1 - $s0" | bc -l)
	r=$(mibs "${t#* }"); echo "$r" >>"$WORK/up.txt"
	rs=$(mibs "${t#* } + $sy"); echo "$rs" >>"$WORK/upsync.txt"
	echo "$sy" >>"$WORK/sync.txt"
	printf 'round %d: upload HTTP %s: %5s MiB/s (%.2f s); sync of the file %.2f s; with sync %4s MiB/s; workers CPU %.2f s (load %s)\n' \
		"$i" "${t% *}" "$r" "${t#* }" "$sy" "$rs" "$(echo "($c1 - $c0) / $TCK" | bc -l)" "$(load1)"
	st=$(curl -s "$URL/v2/images/$IMG" | "$PY" -c 'import json,sys; m=json.load(sys.stdin); print(m["status"], m["size"])')
	[ "$st" = "active $((SIZE_MB * 1048576))" ] || echo "# warning: image $IMG is '$st' after the upload"
	d=$(curl -s -o /dev/null -w '%{speed_download}' "$URL/v2/images/$IMG/file")
	echo "$d / 1048576" | bc -l | xargs printf '%.0f\n' >>"$WORK/down.txt"
	curl -s -o /dev/null -X DELETE "$URL/v2/images/$IMG"
done
echo "median upload $(median <"$WORK/up.txt") MiB/s; with sync $(median <"$WORK/upsync.txt") MiB/s; sync $(median <"$WORK/sync.txt" | xargs printf '%.2f') s; download $(median <"$WORK/down.txt") MiB/s"
echo "RSS after uploads: $(rss)"
echo "# done; $(date -u '+%Y-%m-%d %H:%M:%S UTC'); $(uptime)"
