#!/usr/bin/env bash
# Disk-image conversion benchmark: stratus (bench/diskimage/cmd/convbench,
# i.e. convert.ConvertFile) against qemu-img convert, on a 1 GiB image of
# mixed content (random, compressible text, written zeros, holes). Each case
# runs RUNS times per tool; the median wall time (until the output is
# fsynced), the ratio stratus/qemu-img, the median CPU seconds (user+sys,
# which other load on the machine disturbs less) and peak RSS are printed.
# The previous run's output is deleted and a sync settles that deletion
# before each timed run: on a filesystem mounted with discard, the blocks
# freed by the delete are trimmed at the next journal commit, which the
# next tool's fsync would otherwise pay for (0.1-0.4 s here).
#
#   bench/diskimage/run.sh            # from the repository root
#   RUNS=5 SIZE_MIB=2048 BENCH_DIR=/var/tmp bench/diskimage/run.sh
#   CASES='to-raw' bench/diskimage/run.sh   # only the cases whose name matches (grep -E)
#
# The rows marked "decode only" convert the same sources to an output that
# discards every write (qemu-img's null-co driver, convbench's "null"): the
# engine without the disk, whose speed here varies minute to minute.
set -euo pipefail
RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-1024}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d "${BENCH_DIR:-/tmp}/stratus-convbench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
qemu=${QEMU_IMG:-qemu-img}
timebin=/usr/bin/time # GNU time (apt-get install -y time): CPU seconds and peak RSS
[ -x "$timebin" ] || { echo "run.sh needs GNU time at /usr/bin/time" >&2; exit 1; }

(cd "$root" && go build -o "$dir/convbench" ./bench/diskimage/cmd/convbench)
cb="$dir/convbench"

echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "# $($qemu --version | head -1); go $(go env GOVERSION)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share the machine; ratios compare runs interleaved in time)"
echo "# image: ${SIZE_MIB} MiB raw, 16 MiB pieces cycling random / text / written zeros / holes; runs=$RUNS"
"$cb" -mkimage "$dir/src.raw" -size-mib "$SIZE_MIB"
"$qemu" convert -f raw -O qcow2 "$dir/src.raw" "$dir/src.qcow2"
"$qemu" convert -f raw -O qcow2 -c "$dir/src.raw" "$dir/src-zlib.qcow2"
"$qemu" convert -f raw -O vmdk -o subformat=streamOptimized "$dir/src.raw" "$dir/src-stream.vmdk"
sync

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run_qemu OUT ARGS... : prints "wall_s cpu_s rss_kib" (cpu = user+sys)
run_qemu() {
	local out=$1; shift
	rm -f "$out"
	sync # the root fs is mounted with discard: deleting the last output costs the next fsync, so settle it first
	local t0 t1 r
	t0=$(now)
	r=$("$timebin" -f '%U %S %M' "$qemu" convert "$@" "$out" 2>&1 >/dev/null | tail -1)
	if [ -e "$out" ]; then sync "$out"; fi # not for a null-co target
	t1=$(now)
	set -- $r
	echo "$(echo "$t1 - $t0" | bc -l) $(echo "$1 + $2" | bc -l) $3"
}

# run_stratus OUT ARGS... : prints "wall_s cpu_s rss_kib"
run_stratus() {
	local out=$1; shift
	rm -f "$out"
	sync # the root fs is mounted with discard: deleting the last output costs the next fsync, so settle it first
	local t0 t1 r
	t0=$(now)
	r=$("$timebin" -f '%U %S %M' "$cb" "$@" "$out" 2>&1 >/dev/null | tail -1)
	t1=$(now)
	set -- $r
	echo "$(echo "$t1 - $t0" | bc -l) $(echo "$1 + $2" | bc -l) $3"
}

printf '%-22s %8s %8s %6s %6s %8s %8s %8s %8s %6s\n' case qemu_s stratus_s ratio goal qemu_cpu str_cpu qemu_MiB str_MiB load
bench_case() { # name goal src qemu-args... -- stratus-args...
	local name=$1 goal=$2 src=$3; shift 3
	if [ -n "${CASES:-}" ] && ! grep -qE -- "$CASES" <<<"$name"; then return; fi
	local qargs=() sargs=()
	while [ "$1" != "--" ]; do qargs+=("$1"); shift; done
	shift
	sargs=("$@")
	local qt=() st=() qc=() sc=() qr=0 sr=0 r
	for _ in $(seq "$RUNS"); do
		r=($(run_qemu "${QOUT:-$dir/out.q}" "${qargs[@]}" "$src")); qt+=("${r[0]}"); qc+=("${r[1]}"); qr=${r[2]}
		r=($(run_stratus "${SOUT:-$dir/out.s}" "${sargs[@]}" "$src")); st+=("${r[0]}"); sc+=("${r[1]}"); sr=${r[2]}
	done
	local qm sm qcm scm
	qm=$(printf '%s\n' "${qt[@]}" | median)
	sm=$(printf '%s\n' "${st[@]}" | median)
	qcm=$(printf '%s\n' "${qc[@]}" | median)
	scm=$(printf '%s\n' "${sc[@]}" | median)
	printf '%-22s %8.2f %8.2f %6.2f %6s %8.2f %8.2f %8.0f %8.0f %6s\n' "$name" "$qm" "$sm" "$(echo "$sm / $qm" | bc -l)" "$goal" \
		"$qcm" "$scm" "$(echo "$qr / 1024" | bc -l)" "$(echo "$sr / 1024" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
	rm -f "$dir/out.q" "$dir/out.s"
}

bench_case "qcow2 -> raw" "<=1.0" "$dir/src.qcow2" -f qcow2 -O raw -- -f qcow2 -O raw
bench_case "qcow2 (zlib) -> raw" "<=0.6" "$dir/src-zlib.qcow2" -f qcow2 -O raw -- -f qcow2 -O raw
bench_case "vmdk stream -> raw" "<=0.6" "$dir/src-stream.vmdk" -f vmdk -O raw -- -f vmdk -O raw
bench_case "raw -> vmdk stream" "<=0.2" "$dir/src.raw" -f raw -O vmdk -o subformat=streamOptimized -- -f raw -O vmdk
bench_case "raw -> qcow2 (zlib)" "<=0.2" "$dir/src.raw" -f raw -O qcow2 -c -- -f raw -O qcow2 -c
bench_case "raw -> qcow2" "<=1.0" "$dir/src.raw" -f raw -O qcow2 -- -f raw -O qcow2

# Decode only: the same sources into outputs that keep nothing.
null_opts="-n --target-is-zero --target-image-opts"
export QOUT="driver=null-co,size=$((SIZE_MIB << 20))" SOUT=null
bench_case "qcow2 (zlib) -> null" "<=0.6" "$dir/src-zlib.qcow2" $null_opts -f qcow2 -- -f qcow2 -O raw
bench_case "vmdk stream -> null" "<=0.6" "$dir/src-stream.vmdk" $null_opts -f vmdk -- -f vmdk -O raw
bench_case "qcow2 -> null" "<=1.0" "$dir/src.qcow2" $null_opts -f qcow2 -- -f qcow2 -O raw
