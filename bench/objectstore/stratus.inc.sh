# Shared by run.sh and ab.sh: start, stop and authenticate one stratus node.
# Needs W (binaries, log), DATA (data dir), PORT, URL and PW set.

start() {
  local t0 t1
  t0=$(date +%s.%N)
  STRATUS_DATA_DIR=$DATA STRATUS_LISTEN=127.0.0.1:$PORT STRATUS_ADMIN_PASSWORD=$PW STRATUS_LOG_LEVEL=warn \
    "$W/stratus" serve >>"$W/server.log" 2>&1 &
  PID=$!
  until curl -fs "$URL/healthz" >/dev/null 2>&1; do sleep 0.01; done
  t1=$(date +%s.%N)
  echo "start_seconds=$(echo "$t1 - $t0" | bc)"
}

stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; }

# auth sets TOKEN, PROJECT and SURL (the account's storage URL).
auth() {
  local resp
  resp=$(curl -si -X POST "$URL/identity/v3/auth/tokens" -H 'Content-Type: application/json' \
    -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"$PW\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"}}}}}")
  TOKEN=$(echo "$resp" | grep -i '^x-subject-token:' | awk '{print $2}' | tr -d '\r')
  PROJECT=$(echo "$resp" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"]["project"]["id"])')
  SURL=$URL/object-store/v1/AUTH_$PROJECT
}
