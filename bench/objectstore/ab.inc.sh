# Sourced by swift.sh when AB=1, with Swift up (SURL, TOKEN for Swift, W the
# temp dir): starts stratus on a data dir in $W (same disk), then for each
# size in SIZES runs ROUNDS rounds of, in turn, a stratus PUT, a Swift PUT and
# dd conv=fsync of the same file (stratus first in odd rounds, Swift first in
# even ones), then a GET of each. Every write is of a fresh name; each
# round's objects are deleted and a sync settles the deletes (the fs is
# mounted with discard) before the next round. Prints medians and ratios.
ROUNDS=${ROUNDS:-5}
SW_SURL=$SURL SW_TOKEN=$TOKEN
DATA=$W/stratus-data PORT=${STRATUS_PORT:-18181} URL=http://127.0.0.1:${STRATUS_PORT:-18181} PW=bench-pw
mkdir -p "$DATA"
go build -o "$W/stratus" ./cmd/stratus
. "$REPO/bench/objectstore/stratus.inc.sh"
start
auth
ST_SURL=$SURL ST_TOKEN=$TOKEN
for u in "$ST_SURL|$ST_TOKEN" "$SW_SURL|$SW_TOKEN"; do
  curl -fs -X PUT -H "X-Auth-Token: ${u#*|}" "${u%%|*}/large" -o /dev/null
done

SRC=/dev/shm/swift-osbench-src.$$
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mbps() { echo "scale=0; $1*1048576/1000000/$2" | bc; }
put() { curl -fs -o /dev/null -w '%{time_total}' -X PUT -T "$SRC" -H "X-Auth-Token: $2" "$1"; }
get() { curl -fs -o /dev/null -w '%{time_total}' -H "X-Auth-Token: $2" "$1"; }
echo "== large objects, interleaved: $ROUNDS rounds per size; MB/s (10^6 bytes/s)"
for MB in $SIZES; do
  head -c $((MB << 20)) /dev/urandom >"$SRC"
  : >"$W/st_put"; : >"$W/sw_put"; : >"$W/dd"; : >"$W/st_get"; : >"$W/sw_get"
  for i in $(seq "$ROUNDS"); do
    order="st sw"
    [ $((i % 2)) = 0 ] && order="sw st"
    line="round $i ($order first):"
    for who in $order; do
      sync
      if [ "$who" = st ]; then t=$(put "$ST_SURL/large/o$MB.$i" "$ST_TOKEN"); else t=$(put "$SW_SURL/large/o$MB.$i" "$SW_TOKEN"); fi
      echo "$(mbps "$MB" "$t")" >>"$W/${who}_put"
      line="$line $who PUT $(mbps "$MB" "$t")"
    done
    sync
    t0=$(date +%s.%N)
    dd if="$SRC" of="$W/dd.test" bs=4M conv=fsync status=none
    t1=$(date +%s.%N)
    d=$(mbps "$MB" "$(echo "$t1 - $t0" | bc)")
    echo "$d" >>"$W/dd"
    rm -f "$W/dd.test"
    for who in $order; do
      if [ "$who" = st ]; then t=$(get "$ST_SURL/large/o$MB.$i" "$ST_TOKEN"); else t=$(get "$SW_SURL/large/o$MB.$i" "$SW_TOKEN"); fi
      echo "$(mbps "$MB" "$t")" >>"$W/${who}_get"
      line="$line $who GET $(mbps "$MB" "$t")"
    done
    echo "$line dd $d"
    curl -fs -o /dev/null -X DELETE -H "X-Auth-Token: $ST_TOKEN" "$ST_SURL/large/o$MB.$i"
    curl -fs -o /dev/null -X DELETE -H "X-Auth-Token: $SW_TOKEN" "$SW_SURL/large/o$MB.$i"
    sync
  done
  sp=$(median <"$W/st_put") wp=$(median <"$W/sw_put") dm=$(median <"$W/dd") sg=$(median <"$W/st_get") wg=$(median <"$W/sw_get")
  echo "size_mib=$MB median: stratus PUT $sp GET $sg; Swift PUT $wp GET $wg; dd $dm"
  echo "size_mib=$MB ratios: PUT $(echo "scale=2; $sp/$wp" | bc)x Swift, $(echo "scale=2; $sp/$dm" | bc)x dd; GET $(echo "scale=2; $sg/$wg" | bc)x Swift, $(echo "scale=2; $sg/$dm" | bc)x dd"
done
rm -f "$SRC"
stop
PID=
