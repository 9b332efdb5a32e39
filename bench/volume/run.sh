#!/usr/bin/env bash
# Block storage against qemu-img on the same disk, in one sitting, rounds interleaved:
#   - create-from-image: POST /volumes {imageRef} until the volume is available (the job converts the
#     image's blob into the volume's file and fsyncs it) vs `qemu-img convert -O raw` of the same blob
#     file into the same directory, then `sync FILE` (an fsync: stratus acknowledges fsynced bytes);
#     for a raw and a qcow2 image of SIZE_MB of random data;
#   - upload-to-image: os-volume_upload_image of that volume until the image is active (the output's md5
#     and sha512 are computed, it is fsynced, then published) vs `qemu-img convert` of the volume's file
#     (+ sync), to raw and to qcow2;
#   each with the CPU seconds (user + system) the stratus server and qemu-img spent, which a loaded machine
#   stretches less than wall time;
#   - snapshot of a SNAP_GB sparse volume holding 3 x 64 MiB of data: POST /snapshots until available,
#     and the snapshot file's allocated size, vs `cp --sparse=always` (+ sync) of the same file.
#
#   bash bench/volume/run.sh                      # RUNS=3 SIZE_MB=1024 SNAP_GB=10
#   RUNS=1 SIZE_MB=256 SNAP_GB=2 bash bench/volume/run.sh   # quick check
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
SIZE_MB=${SIZE_MB:-1024}
SNAP_GB=${SNAP_GB:-10}
command -v qemu-img >/dev/null || { echo "qemu-img missing: apt-get install -y qemu-utils" >&2; exit 1; }
WORK=$(mktemp -d /var/tmp/stratus-bench-volume.XXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
go build -o "$WORK/stratus" ./cmd/stratus
STRATUS_ADMIN_PASSWORD=bench STRATUS_BCRYPT_COST=4 STRATUS_LOG_LEVEL=warn "$WORK/stratus" serve --data-dir "$WORK/data" \
  --listen "127.0.0.1:$PORT" >"$WORK/stratus.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -fsS "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
TOKEN=$(curl -si -H 'Content-Type: application/json' -d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"bench"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' \
  "$URL/identity/v3/auth/tokens" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}')
PROJECT=$(curl -s -H "X-Auth-Token: $TOKEN" -H "X-Subject-Token: $TOKEN" "$URL/identity/v3/auth/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"]["project"]["id"])')
V=$URL/volume/v3/$PROJECT
api() { curl -fsS -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' "$@"; }
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
# wait_status URL KEY WANT: polls every 50 ms, with curl and grep only (a python per poll would cost more
# than the operations measured); the first "status" of the body is the resource's.
status_of() { api "$1" | grep -o '"status": *"[a-z_-]*"' | head -1 | sed 's/.*"\([a-z_-]*\)"$/\1/'; }
wait_status() { while :; do s=$(status_of "$1"); [ "$s" = "$3" ] && return; [ "$s" = error ] || [ "$s" = killed ] && { echo "failed: $1" >&2; exit 1; }; sleep 0.05; done; }
# CPU seconds (user + system) spent by the server so far, and by one qemu-img run (/usr/bin/time's %U %S)
srvcpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$PID/stat"; }
qimg() { /usr/bin/time -f '%U %S' -o "$WORK/qcpu" qemu-img "$@"; QCPU=$(awk '{printf "%.2f", $1 + $2}' "$WORK/qcpu"); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "== source images: $SIZE_MB MiB of random data, raw and qcow2"
head -c $((SIZE_MB << 20)) /dev/urandom >"$WORK/src.raw"
qemu-img convert -f raw -O qcow2 "$WORK/src.raw" "$WORK/src.qcow2"
declare -A IMG BLOB GBS
for f in raw qcow2; do
  # Cinder refuses a volume smaller than the image file (a qcow2 of 1 GiB of random data is 1 GiB plus its
  # tables: a 2 GiB volume, whose second GiB stays a hole).
  GBS[$f]=$(( ($(stat -c %s "$WORK/src.$f") + (1 << 30) - 1) >> 30 ))
  id=$(api -X POST "$URL/image/v2/images" -d "{\"name\":\"bench-$f\",\"disk_format\":\"$f\",\"container_format\":\"bare\"}" | jget "['id']")
  curl -fsS -X PUT -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/octet-stream' -T "$WORK/src.$f" "$URL/image/v2/images/$id/file"
  IMG[$f]=$id
  BLOB[$f]=$(ls "$WORK"/data/blobs/images/$id.* 2>/dev/null | head -1)
  [ -n "${BLOB[$f]}" ] || BLOB[$f]="$WORK/data/blobs/images/$id"
done
GB=${GBS[raw]}
OUT=$WORK/data/volumes
declare -A T C
for r in $(seq 1 "$RUNS"); do
  for f in raw qcow2; do
    c0=$(srvcpu); t0=$(now); vid=$(api -X POST "$V/volumes" -d "{\"volume\":{\"size\":${GBS[$f]},\"imageRef\":\"${IMG[$f]}\"}}" | jget "['volume']['id']")
    wait_status "$V/volumes/$vid" volume available; t1=$(now); c1=$(srvcpu)
    T[create_$f]+="$(secs "$t0" "$t1") "; C[create_$f]+="$(secs "$c0" "$c1") "
    t0=$(now); qimg convert -f "$f" -O raw "${BLOB[$f]}" "$OUT/qemu.raw"; sync "$OUT/qemu.raw"; t1=$(now)
    T[qemu_$f]+="$(secs "$t0" "$t1") "; C[qemu_$f]+="$QCPU "
    rm -f "$OUT/qemu.raw"
    [ "$f" = raw ] && VOL=$vid || api -X DELETE "$V/volumes/$vid" >/dev/null
  done
  for f in raw qcow2; do
    c0=$(srvcpu); t0=$(now); iid=$(api -X POST "$V/volumes/$VOL/action" -d "{\"os-volume_upload_image\":{\"image_name\":\"up\",\"disk_format\":\"$f\"}}" | jget "['os-volume_upload_image']['image_id']")
    wait_status "$URL/image/v2/images/$iid" image active; t1=$(now); c1=$(srvcpu)
    T[upload_$f]+="$(secs "$t0" "$t1") "; C[upload_$f]+="$(secs "$c0" "$c1") "
    wait_status "$V/volumes/$VOL" volume available
    api -X DELETE "$URL/image/v2/images/$iid" >/dev/null
    t0=$(now); qimg convert -f raw -O "$f" "$OUT/volume-$VOL" "$OUT/qemu.$f"; sync "$OUT/qemu.$f"; t1=$(now)
    T[qemuup_$f]+="$(secs "$t0" "$t1") "; C[qemuup_$f]+="$QCPU "
    rm -f "$OUT/qemu.$f"
  done
  api -X DELETE "$V/volumes/$VOL" >/dev/null
done
echo "== create-from-image, $SIZE_MB MiB, median of $RUNS (s; each round's values in brackets)"
for f in raw qcow2; do
  s=$(echo ${T[create_$f]} | tr ' ' '\n' | median); q=$(echo ${T[qemu_$f]} | tr ' ' '\n' | median)
  printf '  %-6s stratus %6.2f [%s]  qemu-img+sync %6.2f [%s]  ratio %.2f\n' "$f" "$s" "${T[create_$f]}" "$q" "${T[qemu_$f]}" "$(echo "$s / $q" | bc -l)"
  printf '         cpu s: stratus [%s]  qemu-img [%s]\n' "${C[create_$f]}" "${C[qemu_$f]}"
done
echo "== upload-to-image of that volume ($GB GiB), median of $RUNS (s)"
for f in raw qcow2; do
  s=$(echo ${T[upload_$f]} | tr ' ' '\n' | median); q=$(echo ${T[qemuup_$f]} | tr ' ' '\n' | median)
  printf '  %-6s stratus %6.2f [%s]  qemu-img+sync %6.2f [%s]  ratio %.2f\n' "$f" "$s" "${T[upload_$f]}" "$q" "${T[qemuup_$f]}" "$(echo "$s / $q" | bc -l)"
  printf '         cpu s: stratus [%s]  qemu-img [%s]\n' "${C[upload_$f]}" "${C[qemuup_$f]}"
done

echo "== snapshot of a $SNAP_GB GiB sparse volume holding 3 x 64 MiB"
sid=$(api -X POST "$V/volumes" -d "{\"volume\":{\"size\":$SNAP_GB}}" | jget "['volume']['id']")
wait_status "$V/volumes/$sid" volume available
for off in 0 $((SNAP_GB * 1024 / 2)) $((SNAP_GB * 1024 - 64)); do
  dd if=/dev/urandom of="$OUT/volume-$sid" bs=1M count=64 seek=$off conv=notrunc,fsync status=none
done
for r in $(seq 1 "$RUNS"); do
  c0=$(srvcpu); t0=$(now); snap=$(api -X POST "$V/snapshots" -d "{\"snapshot\":{\"volume_id\":\"$sid\"}}" | jget "['snapshot']['id']")
  wait_status "$V/snapshots/$snap" snapshot available; t1=$(now); c1=$(srvcpu)
  T[snap]+="$(secs "$t0" "$t1") "; C[snap]+="$(secs "$c0" "$c1") "
  alloc=$(du -k "$OUT/snapshot-$snap" | cut -f1); apparent=$(du -k --apparent-size "$OUT/snapshot-$snap" | cut -f1)
  api -X DELETE "$V/snapshots/$snap" >/dev/null
  t0=$(now); cp --sparse=always "$OUT/volume-$sid" "$OUT/cp.raw"; sync "$OUT/cp.raw"; t1=$(now)
  T[cp]+="$(secs "$t0" "$t1") "
  cpalloc=$(du -k "$OUT/cp.raw" | cut -f1); rm -f "$OUT/cp.raw"
done
s=$(echo ${T[snap]} | tr ' ' '\n' | median); c=$(echo ${T[cp]} | tr ' ' '\n' | median)
printf '  stratus %6.2f s [%s] (cpu s [%s])  snapshot allocates %d MiB of %d MiB apparent\n' "$s" "${T[snap]}" "${C[snap]}" $((alloc / 1024)) $((apparent / 1024))
printf '  cp --sparse=always + sync %6.2f s [%s]  allocates %d MiB\n' "$c" "${T[cp]}" $((cpalloc / 1024))
echo "filesystem: $(df -T "$OUT" | awk 'NR==2{print $2}') (reflinks: $(cp --reflink=always "$OUT/volume-$sid" "$OUT/rl" 2>/dev/null && echo yes || echo no))"
rm -f "$OUT/rl"
