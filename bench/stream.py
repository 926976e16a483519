"""bench/stream.py — the live event stream's figures (driven by bench/stream.sh).

  latency A B N   N chat messages written through server B, one at a time, each read from an
                  event stream open on server A: milliseconds from the POST sent on B (and from
                  its 201, i.e. after the commit) to the event's last byte read on A.
  limit A N P K   opens up to N streams on server A (pid P; one connection each, from this
                  process, for K accounts in turn) until one is refused; prints how many were open, the server's RSS and thread
                  count at that number, the refusal's status and time, and the times of
                  /healthz and /v1/me answered while they are all open.
"""
import http.client
import json
import os
import selectors
import socket
import sys
import threading
import time
import urllib.parse


def hostport(url):
    u = urllib.parse.urlparse(url)
    return u.hostname, u.port


def call(url, method, path, token=None, body=None):
    h, p = hostport(url)
    c = http.client.HTTPConnection(h, p, timeout=30)
    hdrs = {"Content-Type": "application/json"}
    if token:
        hdrs["Authorization"] = "Bearer " + token
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=hdrs)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data[:1] in (b"{", b"[") else data


def new_user(url, role, tag):
    email = "bench-%s-%s-%d@example.com" % (role, tag, os.getpid())
    body = {"email": email, "password": "bench-password-1", "role": role, "display_name": role}
    st, _ = call(url, "POST", "/v1/auth/register", body=body)
    assert st in (200, 201), st
    st, r = call(url, "POST", "/v1/auth/login", body={"email": email, "password": "bench-password-1"})
    assert st == 200, (st, r)
    st, me = call(url, "GET", "/v1/me", r["access_token"])
    return r["access_token"], me["id"]


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


def latency(a, b, n):
    seller, _ = new_user(b, "seller", "s")
    buyer, _ = new_user(b, "buyer", "b")
    st, prod = call(b, "POST", "/v1/products", seller,
                    {"offer_id": "BENCH-%d" % os.getpid(), "name": "Bench tea", "price": 1000,
                     "stock": 10})
    assert st == 201, (st, prod)
    st, chat = call(b, "POST", "/v1/chats", buyer, {"kind": "buyer_seller", "product_id": prod["id"]})
    assert st in (200, 201), (st, chat)
    h, p = hostport(a)
    sc = http.client.HTTPConnection(h, p, timeout=30)
    sc.request("GET", "/v1/events/stream", headers={"Authorization": "Bearer " + seller})
    sr = sc.getresponse()
    assert sr.status == 200, sr.status
    arrived = {}
    cond = threading.Condition()

    def reader():
        ident = None
        while True:
            line = sr.readline()
            if not line:
                return
            if line.startswith(b"id: "):
                ident = int(line[4:])
            elif line.startswith(b"data: ") and ident is not None:
                with cond:
                    arrived[ident] = time.perf_counter()
                    cond.notify_all()
    threading.Thread(target=reader, daemon=True).start()
    time.sleep(0.5)
    wc = http.client.HTTPConnection(*hostport(b), timeout=30)
    path = "/v1/chats/%d/messages" % chat["id"]
    from_post, from_201 = [], []
    first = None
    for i in range(n):
        t0 = time.perf_counter()
        wc.request("POST", path, body=json.dumps({"text": "Is it in stock? %d" % i}),
                   headers={"Content-Type": "application/json", "Authorization": "Bearer " + buyer})
        r = wc.getresponse()
        r.read()
        t1 = time.perf_counter()
        assert r.status == 201, r.status
        with cond:
            if first is None:
                cond.wait_for(lambda: arrived, 5)
                first = min(arrived)
            want = first + i
            ok = cond.wait_for(lambda: want in arrived, 5)
        assert ok, "event %d never arrived" % want
        from_post.append((arrived[want] - t0) * 1000)
        from_201.append((arrived[want] - t1) * 1000)
    ids = sorted(arrived)
    assert ids == list(range(ids[0], ids[0] + n)), "gaps or duplicates"
    print("latency: %d events, B -> A, one at a time" % n)
    print("  from POST sent on B:  p50 %.2f ms  p99 %.2f ms  max %.2f ms" %
          (pct(from_post, 50), pct(from_post, 99), max(from_post)))
    print("  from 201 read on B:   p50 %.2f ms  p99 %.2f ms  max %.2f ms  (negative: the event "
          "came before the answer)" % (pct(from_201, 50), pct(from_201, 99), max(from_201)))
    print("  events over 1 s: %d" % sum(1 for v in from_post if v > 1000))


def proc_figures(pid):
    rss = threads = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) // 1024
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


def timed(url, path, token=None):
    t0 = time.perf_counter()
    st, _ = call(url, "GET", path, token)
    return st, (time.perf_counter() - t0) * 1000


def limit(a, n, pid, accounts):
    tokens = [new_user(a, "seller", "limit%d" % k)[0] for k in range(accounts)]
    token = tokens[0]
    h, p = hostport(a)
    reqs = [("GET /v1/events/stream HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n\r\n" %
             (h, p, t)).encode() for t in tokens]
    sel = selectors.DefaultSelector()
    socks, opened, refused = [], 0, None
    rss0, thr0 = proc_figures(pid)
    t_start = time.perf_counter()
    step, sent = 200, 0
    while opened < n and refused is None:
        batch = []
        for _ in range(min(step, n - opened)):
            s = socket.create_connection((h, p))
            s.sendall(reqs[sent % len(reqs)])
            sent += 1
            batch.append((s, time.perf_counter()))
        # a batch is answered in any order: every answer is read, the first refusal kept
        for s, t0 in batch:
            head = b""
            s.settimeout(10)
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    break
                head += chunk
            status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
            if status == 200:
                opened += 1
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ)
                socks.append(s)
            else:
                body = head.split(b"\r\n\r\n", 1)
                if refused is None:
                    refused = (status, (time.perf_counter() - t0) * 1000, body[0],
                               body[1] if len(body) > 1 else b"")
                s.close()
    took = time.perf_counter() - t_start
    time.sleep(2.5)  # two heartbeats: every stream has sent and been read
    for key, _ in sel.select(timeout=0):
        try:
            key.fileobj.recv(65536)
        except OSError:
            pass
    rss, thr = proc_figures(pid)
    print("limit: %d streams open in %.1f s; server RSS %d MiB (%d before), %d threads (%d before)"
          % (opened, took, rss, rss0, thr, thr0))
    if refused:
        ra = [ln for ln in refused[2].split(b"\r\n") if ln.lower().startswith(b"retry-after")]
        code = json.loads(refused[3][refused[3].find(b"{"):] or b"{}").get("code", "?")
        print("  stream %d: HTTP %d %s, %.1f ms after its batch of 200 was sent (%s)" % (
            opened + 1, refused[0], code, refused[1], ra[0].decode() if ra else "no Retry-After"))
    if refused:
        # one more, alone: the refusal's own time, not its place in a batch
        t0 = time.perf_counter()
        st, _ = call(a, "GET", "/v1/events/stream", token)
        print("  one more stream alone: HTTP %d in %.2f ms" % (st, (time.perf_counter() - t0) * 1000))
    hz = [timed(a, "/healthz") for _ in range(20)]
    me = [timed(a, "/v1/me", token) for _ in range(20)]
    print("  while open: /healthz %s, p50 %.2f ms max %.2f ms; /v1/me %s, p50 %.2f ms max %.2f ms"
          % (sorted({s for s, _ in hz}), pct([t for _, t in hz], 50), max(t for _, t in hz),
             sorted({s for s, _ in me}), pct([t for _, t in me], 50), max(t for _, t in me)))
    for s in socks:
        s.close()


if __name__ == "__main__":
    if sys.argv[1] == "latency":
        latency(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        limit(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
