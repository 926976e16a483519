"""The live event stream's bound on memory, against the real server ($SD_BASE_URL, started by
scripts/test.sh with SELLERDESK_STREAM_HEARTBEAT_S=1) and its database ($DATABASE_URL):

- a backlog of 20,000 events of about 1 KiB (20 MiB, written straight into the log by SQL, the
  counter with them) is read out whole and in order by a client that reads, through the
  stream's bounded buffer;
- a client that opens the same stream and reads nothing is disconnected within seconds (the
  kernel takes a few MiB, the stream's buffer fills, the next heartbeat finds no progress),
  long before the backlog is through, and /metrics counts the drop.

Ends with one "N passed, M failed" line.
"""
import http.client
import json
import os
import re
import socket
import subprocess
import time
import urllib.parse

BASE = urllib.parse.urlparse(os.environ.get("SD_BASE_URL", "http://127.0.0.1:8080"))
BACKLOG = 20000
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - %s" % name)
    else:
        failed += 1
        print("not ok - %s %s" % (name, detail))


def call(method, path, body=None, token=None):
    c = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=30)
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def metric(name):
    _, text = call("GET", "/metrics")
    m = re.search(rb"^%s (\d+)$" % name.encode(), text, re.M)
    return int(m.group(1)) if m else -1


def psql(sql):
    subprocess.run(["psql", os.environ["DATABASE_URL"], "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql],
                   capture_output=True, text=True, check=True)


def open_stream(token, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((BASE.hostname, BASE.port))
    s.sendall(("GET /v1/events/stream?after=0 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s"
               "\r\n\r\n" % (BASE.hostname, token)).encode())
    return s


def main():
    email = "stream-buffer-%d@test.sellerdesk.dev" % os.getpid()
    st, data = call("POST", "/v1/auth/register", {"email": email, "password": "stream-buffer-pw",
                                                  "role": "seller", "display_name": "S"})
    account = json.loads(data)["id"]
    st, data = call("POST", "/v1/auth/login", {"email": email, "password": "stream-buffer-pw"})
    token = json.loads(data)["access_token"]
    psql("BEGIN;"
         " INSERT INTO event_counters (account, position) VALUES (%d, %d);"
         " INSERT INTO events (account, position, type, data)"
         "  SELECT %d, g, 'message.created', jsonb_build_object('type', 'message.created',"
         "         'account', %d, 'occurred_at', sd_ts(now()), 'pad', repeat('x', 1000))"
         "    FROM generate_series(1, %d) g;"
         " COMMIT;" % (account, BACKLOG, account, account, BACKLOG))

    # a reader gets all of it, in order
    s = open_stream(token)
    s.settimeout(120)
    raw, buf, ids, t0, last = b"", b"", [], time.time(), None
    head = True
    while len(ids) < BACKLOG and time.time() - t0 < 120:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        raw += chunk
        if head:  # the answer's head, then its body in chunks (size line, bytes, CRLF)
            if b"\r\n\r\n" not in raw:
                continue
            raw = raw.split(b"\r\n\r\n", 1)[1]
            head = False
        while b"\r\n" in raw:
            size_line, rest = raw.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if len(rest) < size + 2:
                break
            buf += rest[:size]
            raw = rest[size + 2:]
        *lines, buf = buf.split(b"\n")
        for ln in lines:  # an event is an id: line, its event: line and its data: line
            if ln.startswith(b"id: "):
                last = int(ln[4:])
            elif ln.startswith(b"data: "):
                ids.append(last)
    s.close()
    check("a reading client gets a backlog of %d events (20 MiB) whole, in order, once" % BACKLOG,
          ids == list(range(1, BACKLOG + 1)),
          "(%d ids, first %s, last %s)" % (len(ids), ids[:1], ids[-1:]))

    time.sleep(2)  # the closed stream is seen at its next heartbeat
    dropped = metric("sellerdesk_event_streams_dropped_total")
    streams = metric("sellerdesk_event_streams")
    s = open_stream(token, rcvbuf=4096)
    time.sleep(5)  # reads nothing: a few heartbeats pass
    s.settimeout(30)
    got, ended = 0, "timeout"
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                ended = "closed"
                break
            got += len(chunk)
    except ConnectionResetError:
        ended = "reset"
    except socket.timeout:
        pass
    s.close()
    check("a client that reads nothing is disconnected", ended in ("closed", "reset"), ended)
    check("... before the backlog was through (it could still read %d KiB of ~%d)" %
          (got // 1024, BACKLOG * 11 // 10), got < BACKLOG * 1000 // 2)
    check("... and /metrics counts it", metric("sellerdesk_event_streams_dropped_total") > dropped)
    # (at most as many as before it opened: a stream closed earlier may still be going; the
    # sanitizers and valgrind make the server slower to see a connection gone)
    for _ in range(150):
        if metric("sellerdesk_event_streams") <= streams:
            break
        time.sleep(0.1)
    now = metric("sellerdesk_event_streams")
    check("... and its place is free again", now <= streams,
          "(%s open, %s before it)" % (now, streams))
    print("%d passed, %d failed" % (passed, failed))


if __name__ == "__main__":
    main()
