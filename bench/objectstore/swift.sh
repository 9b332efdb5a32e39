#!/usr/bin/env bash
# Swift 2.30 baseline for the object-storage benchmark, measured on this
# machine with the same shapes and the same load driver as
# bench/objectstore/run.sh measures stratus.
#
# Setup (all-in-one, everything on 127.0.0.1):
# - Debian bookworm packages swift-proxy, swift-account, swift-container,
#   swift-object, python3-swift (2.30.1) and memcached (tempauth keeps its
#   tokens in memcache), installed if missing; services are not started by
#   the install (policy-rc.d) and none may be left running.
# - A temp dir under /var/tmp on the root disk (the disk stratus uses, not
#   tmpfs) holds the configs (templates in bench/objectstore/swift/), the
#   rings and one device directory, mount_check = false.
# - Rings from swift-ring-builder: part power 10, 1 replica, one device each:
#   object 127.0.0.1:16010, container :16011, account :16012.
# - swift.conf with a random hash path prefix and suffix; one storage policy.
# - Proxy on 127.0.0.1:18080 with the upstream sample pipeline and tempauth
#   (user test:tester, key testing, .admin); memcached on 127.0.0.1:11311.
# - workers = 1 for every server (each is a parent and one worker process).
# - Object server at upstream defaults: fsync of the object file before the
#   201, mb_per_sync = 512, keep_cache_size = 5 MiB, keep_cache_private =
#   false (so authenticated GETs drop the object from the page cache).
# - Logging at the upstream default level (INFO, an access line per request)
#   sent as UDP datagrams to 127.0.0.1:15140, where nobody listens: there is
#   no syslog (/dev/log) on this machine.
# Measured: start (launch of the four servers and memcached until every
# server's /healthcheck answers), 4 KiB PUT then GET with 16 clients x DUR
# (bench/objectstore/load), 256 MiB PUT and GET with curl from /dev/shm, RSS
# of the Swift processes summed (memcached reported apart).
# Every process is stopped and the temp dir removed on exit, even on failure.
#
# Usage (from the repository root): DUR=20s bash bench/objectstore/swift.sh
#   AB=1 ROUNDS=5 SIZES="256 1024" bash bench/objectstore/swift.sh
#     starts stratus beside Swift and times large PUT/GET of both and dd,
#     interleaved round by round (bench/objectstore/ab.inc.sh), instead of
#     the runs below: this disk's speed drifts minute to minute, so ratios
#     from runs minutes apart can differ by half.
# Knobs: DUR (default 20s), SIZES (MiB for curl, default 256), PROXY_PORT
# (default 18080), SHOW_LOGS=1 (print the servers' stdout/stderr at exit;
# they are printed anyway on failure).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
T=$REPO/bench/objectstore/swift
DUR=${DUR:-20s}
SIZES=${SIZES:-256}            # MiB, for the curl PUT/GET
PROXY_PORT=${PROXY_PORT:-18080}
OBJ_PORT=16010 CONT_PORT=16011 ACCT_PORT=16012
MEMCACHE_PORT=11311 LOGPORT=15140
URL=http://127.0.0.1:$PROXY_PORT

# --- 1. packages -----------------------------------------------------------
PKGS="swift-proxy swift-account swift-container swift-object python3-swift memcached"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "== installing:$missing"
  before=$(pgrep -d' ' -f 'swift-|memcached' || true)
  policy_tmp=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then    # keep invoke-rc.d from starting services
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_tmp=1
  fi
  flock /tmp/apt.lock env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null
  if [ -n "$policy_tmp" ]; then rm -f /usr/sbin/policy-rc.d; fi
  # Anything the install started is a system-wide service we do not want.
  for pid in $(pgrep -f 'swift-|memcached' || true); do
    case " $before " in *" $pid "*) continue ;; esac
    echo "stopping process $pid left by the package install: $(ps -o args= -p "$pid" || true)"
    kill "$pid" 2>/dev/null || true
  done
fi
VERSION=$(dpkg-query -W -f='${Version}' swift-object)
case $VERSION in 2.30.*) ;; *) echo "swift-object is $VERSION, not 2.30" >&2; exit 1 ;; esac

for port in $PROXY_PORT $OBJ_PORT $CONT_PORT $ACCT_PORT $MEMCACHE_PORT; do
  if ss -ltnH "sport = :$port" | grep -q .; then echo "port $port is in use" >&2; exit 1; fi
done

# --- 2. all-in-one Swift in a temp dir ------------------------------------
W=$(mktemp -d /var/tmp/swift-osbench.XXXXXX)
PGIDS=()
cleanup() {
  local rc=$? pg
  if [ "$rc" != 0 ] || [ -n "${SHOW_LOGS:-}" ]; then tail -n 20 "$W"/log/*.log >&2 || true; fi
  if [ -n "${PID:-}" ]; then kill "$PID" 2>/dev/null || true; fi
  for pg in "${PGIDS[@]}"; do kill -TERM -- -"$pg" 2>/dev/null || true; done
  for pg in "${PGIDS[@]}"; do
    for _ in $(seq 50); do kill -0 -- -"$pg" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- -"$pg" 2>/dev/null || true
  done
  rm -rf "$W" /dev/shm/swift-osbench-src."$$"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$W/etc" "$W/srv/d1" "$W/cache" "$W/log"
go build -o "$W/load" ./bench/objectstore/load

render() { # template -> $W/etc/name
  awk -v f="$T/common.inc" '/^@COMMON@$/ { while ((getline l < f) > 0) print l; close(f); next } { print }' "$T/$1.in" |
    sed -e "s|@W@|$W|g" -e "s|@USER@|$(id -un)|g" -e "s|@LOGPORT@|$LOGPORT|g" \
        -e "s|@OBJ_PORT@|$OBJ_PORT|g" -e "s|@CONT_PORT@|$CONT_PORT|g" -e "s|@ACCT_PORT@|$ACCT_PORT|g" \
        -e "s|@PROXY_PORT@|$PROXY_PORT|g" -e "s|@MEMCACHE_PORT@|$MEMCACHE_PORT|g" \
        -e "s|@SUFFIX@|$(od -An -tx8 -N8 /dev/urandom | tr -d ' ')|g" \
        -e "s|@PREFIX@|$(od -An -tx8 -N8 /dev/urandom | tr -d ' ')|g" >"$W/etc/$1"
}
for c in swift.conf object-server.conf container-server.conf account-server.conf proxy-server.conf; do render "$c"; done

(
  cd "$W/etc"
  for r in object:$OBJ_PORT container:$CONT_PORT account:$ACCT_PORT; do
    swift-ring-builder "${r%%:*}.builder" create 10 1 1
    swift-ring-builder "${r%%:*}.builder" add "r1z1-127.0.0.1:${r##*:}/d1" 100
    swift-ring-builder "${r%%:*}.builder" rebalance
  done
) >"$W/log/rings.log" 2>&1 || { cat "$W/log/rings.log"; exit 1; }

launch() { # name cmd...: own session, so the server and its worker are one process group
  setsid "${@:2}" >>"$W/log/$1.log" 2>&1 &
  PGIDS+=($!)
}
healthy() { curl -fs -o /dev/null "http://127.0.0.1:$1/healthcheck"; }

echo "== start"
t0=$(date +%s.%N)
launch memcached memcached -l 127.0.0.1 -p "$MEMCACHE_PORT" -U 0 -m 64 -u "$(id -un)"
for s in object container account proxy; do launch "$s" "swift-$s-server" "$W/etc/$s-server.conf"; done
for _ in $(seq 6000); do
  if healthy $OBJ_PORT && healthy $CONT_PORT && healthy $ACCT_PORT && healthy $PROXY_PORT; then break; fi
  for pg in "${PGIDS[@]}"; do
    kill -0 "$pg" 2>/dev/null || { echo "a server exited" >&2; exit 1; }
  done
  sleep 0.01
done
healthy $PROXY_PORT || { echo "proxy not healthy after 60 s" >&2; exit 1; }
t1=$(date +%s.%N)
echo "start_seconds=$(echo "$t1 - $t0" | bc)"

# --- 3. the runs -----------------------------------------------------------
resp=$(curl -fsi -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' "$URL/auth/v1.0")
TOKEN=$(echo "$resp" | grep -i '^x-auth-token:' | awk '{print $2}' | tr -d '\r')
SURL=$(echo "$resp" | grep -i '^x-storage-url:' | awk '{print $2}' | tr -d '\r')
case $SURL in http://127.0.0.1:*) ;; *) echo "unexpected storage URL '$SURL'" >&2; exit 1 ;; esac

swift_pids() { # every process in the Swift servers' groups (not memcached, the first)
  local pg
  for pg in "${PGIDS[@]:1}"; do pgrep -g "$pg" || true; done
}
rss() { # label
  local total=0 pid r
  for pid in $(swift_pids); do r=$(ps -o rss= -p "$pid" || echo 0); total=$((total + r)); done
  echo "rss_kib_$1=$total processes=$(swift_pids | wc -l) memcached_rss_kib=$(ps -o rss= -p "${PGIDS[0]}" | tr -d ' ')"
}

if [ -n "${AB:-}" ]; then
  . "$REPO/bench/objectstore/ab.inc.sh"
  exit 0
fi

echo "== 4 KiB PUT, 16 clients, $DUR"
"$W/load" -url "$SURL" -token "$TOKEN" -mode put -size 4096 -clients 16 -duration "$DUR" -container small
echo "== 4 KiB GET, 16 clients, $DUR"
"$W/load" -url "$SURL" -token "$TOKEN" -mode get -objects 100 -clients 16 -duration "$DUR" -container small
rss after_small

echo "== large objects (curl)"
SRC=/dev/shm/swift-osbench-src.$$
curl -fs -X PUT -H "X-Auth-Token: $TOKEN" "$SURL/large" -o /dev/null
for MB in $SIZES; do
  head -c $((MB << 20)) /dev/urandom >"$SRC"
  put=$(curl -fs -o /dev/null -w '%{time_total}' -X PUT -T "$SRC" -H "X-Auth-Token: $TOKEN" "$SURL/large/o$MB")
  get=$(curl -fs -o /dev/null -w '%{time_total}' -H "X-Auth-Token: $TOKEN" "$SURL/large/o$MB")
  echo "size_mib=$MB put_s=$put put_MBps=$(echo "scale=0; $MB*1048576/1000000/$put" | bc) get_s=$get get_MBps=$(echo "scale=0; $MB*1048576/1000000/$get" | bc)"
done
rm -f "$SRC"
rss after_large
echo "swift_version=$VERSION workdir=$W (removed on exit)"
