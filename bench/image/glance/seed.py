#!/usr/bin/python3
"""Create N queued images through a Glance v2 API, for bench/image/glance.sh.

The same image body as bench/image/seed (the stratus seeder), POSTed to
/v2/images by 8 threads over keep-alive connections, with no token (Glance
runs with the unauthenticated pipeline). Standard library only.

usage: seed.py URL N START IDS_FILE
  names run from bench-START+1 to bench-START+N; the new ids are appended
  to IDS_FILE, one a line.
"""
import http.client
import json
import sys
import threading
import urllib.parse

WORKERS = 8


def main():
    url, n, start, ids_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    u = urllib.parse.urlsplit(url)
    lock = threading.Lock()
    state = {"next": 0, "err": None}
    ids = []

    def work():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        while True:
            with lock:
                if state["err"] or state["next"] >= n:
                    break
                state["next"] += 1
                i = start + state["next"]
            body = json.dumps({
                "name": "bench-%06d" % i, "disk_format": "qcow2", "container_format": "bare",
                "tags": ["bench"], "os_distro": "debian", "min_ram": 512,
            })
            try:
                conn.request("POST", "/v2/images", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as e:
                # Eventlet may close a keep-alive connection; retry once on a new one.
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
                try:
                    conn.request("POST", "/v2/images", body, {"Content-Type": "application/json"})
                    resp = conn.getresponse()
                    data = resp.read()
                except (OSError, http.client.HTTPException) as e2:
                    with lock:
                        state["err"] = "%s; retry: %s" % (e, e2)
                    break
            if resp.status != 201:
                with lock:
                    state["err"] = "%d %s" % (resp.status, data[:300])
                break
            with lock:
                ids.append(json.loads(data)["id"])
        conn.close()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(ids_path, "a") as f:
        for i in ids:
            f.write(i + "\n")
    if state["err"]:
        sys.exit("seed: " + state["err"])


if __name__ == "__main__":
    main()
