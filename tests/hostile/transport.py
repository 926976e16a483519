"""Raw-socket cases: request smuggling, bad lengths, chunk extensions, oversized heads, slow
heads and bodies, and thousands of slow connections while a normal client is served."""
import os
import resource
import socket
import threading
import time
import urllib.parse

from common import HOST, PORT, Client, problem_defect, psql

HEAD_TIMEOUT = float(os.environ.get("SELLERDESK_REQUEST_HEAD_TIMEOUT", "10"))
SMUGGLED = b"GET /v1/smuggled-request HTTP/1.1\r\nHost: x\r\n\r\n"


def parse_responses(raw):
    """The answers in raw, in order; leftover bytes that are not an answer are returned too."""
    out = []
    while raw:
        end = raw.find(b"\r\n\r\n")
        if end < 0 or not raw.startswith(b"HTTP/1."):
            break
        head, rest = raw[:end].decode("latin-1"), raw[end + 4:]
        lines = head.split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        out.append((status, hdrs, rest[:n]))
        raw = rest[n:]
    return out, raw


def exchange(data, wait=3.0, shut=False):
    """Sends data on a new connection (then ends sending, with shut); reads until the server
    closes or wait passes."""
    s = socket.create_connection((HOST, PORT), timeout=5)
    s.sendall(data)
    if shut:
        s.shutdown(socket.SHUT_WR)
    s.settimeout(wait)
    raw, closed = b"", False
    try:
        while True:
            d = s.recv(65536)
            if not d:
                closed = True
                break
            raw += d
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    s.close()
    answers, leftover = parse_responses(raw)
    return answers, closed, leftover


def head(method, target, headers, body=b"", version=b"HTTP/1.1"):
    lines = [b"%s %s %s" % (method.encode(), target.encode(), version)]
    lines += [h if isinstance(h, bytes) else h.encode() for h in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


SMUGGLING = [
    ("Content-Length with Transfer-Encoding", ["Host: x", "Content-Length: 5", "Transfer-Encoding: chunked"], b"0\r\n\r\n"),
    ("Transfer-Encoding before Content-Length", ["Host: x", "Transfer-Encoding: chunked", "Content-Length: 5"], b"0\r\n\r\n"),
    ("two different Content-Length", ["Host: x", "Content-Length: 2", "Content-Length: 47"], b"{}"),
    ("two equal Content-Length", ["Host: x", "Content-Length: 2", "Content-Length: 2"], b"{}"),
    ("space before the colon", ["Host: x", "Transfer-Encoding : chunked"], b"0\r\n\r\n"),
    ("chunked and a second coding line", ["Host: x", "Transfer-Encoding: chunked", "Transfer-Encoding: x"], b"0\r\n\r\n"),
    ("xchunked", ["Host: x", "Transfer-Encoding: xchunked"], b"0\r\n\r\n"),
    ("chunked, identity", ["Host: x", "Transfer-Encoding: chunked, identity"], b"0\r\n\r\n"),
    ("tab before chunked, with Content-Length", ["Host: x", "Content-Length: 5", "Transfer-Encoding:\tchunked"], b"0\r\n\r\n"),
    ("Content-Length with a sign", ["Host: x", "Content-Length: +2"], b"{}"),
    ("Content-Length list", ["Host: x", "Content-Length: 2, 2"], b"{}"),
    ("Content-Length not a number", ["Host: x", "Content-Length: abc"], b""),
    ("Content-Length negative", ["Host: x", "Content-Length: -1"], b""),
    ("Content-Length past 64 bits", ["Host: x", "Content-Length: 99999999999999999999999"], b""),
    # libmicrohttpd folds a continuation line into the field's name and cuts at a raw NUL
    ("Content-Length folded onto the next line", ["Host: x", "Content-Length:\r\n 47"], b"{}"),
    ("Transfer-Encoding folded, with Content-Length", ["Host: x", "Transfer-Encoding:\r\n chunked", "Content-Length: 5"], b"0\r\n\r\n"),
    ("two Content-Length, one folded", ["Host: x", "Content-Length: 2", "Content-Length:\r\n\t47"], b"{}"),
    ("NUL inside Content-Length", ["Host: x", b"Content-Length: 2\x0047"], b"{}"),
    ("NUL inside Transfer-Encoding", ["Host: x", "Content-Length: 5", b"Transfer-Encoding: x\x00chunked"], b"0\r\n\r\n"),
    ("bare LF line ends", [b"Host: x\nContent-Length: 2\nX-A: a"], b"{}"),
    # libmicrohttpd takes a line of ":" or of NUL bytes for the end of the head
    ("a line of ':' before the length", ["Host: x", ":", "Content-Length: 2"], b"{}"),
    ("a line of NUL bytes", ["Host: x", b"\x00\x00", "Content-Length: 2"], b"{}"),
    ("NUL at the end of the last line", ["Host: x", b"Content-Length: 2\x00"], b"{}"),
]


def smuggling(tally):
    for what, hdrs, body in SMUGGLING:
        data = head("POST", "/v1/auth/login", hdrs + ["Content-Type: application/json"], body) + SMUGGLED
        answers, closed, leftover = exchange(data)
        name = "smuggling: %s" % what
        tally.record(name + ": one answer", len(answers) == 1, "%d answers, leftover %r" % (len(answers), leftover[:80]))
        if answers:
            st, h, b = answers[0]
            tally.record(name + ": 4xx problem", 400 <= st < 500 and problem_defect(st, h, b) is None,
                         "%d %s %r" % (st, problem_defect(st, h, b), b[:120]))
        tally.record(name + ": connection closed", closed, "still open")
    # the bytes after an ambiguous request would create an account if they were served
    email = "smuggled-%d@test.sellerdesk.dev" % os.getpid()
    body = b'{"email":"%s","password":"long enough pw","role":"buyer","display_name":"S"}' % email.encode()
    inner = head("POST", "/v1/auth/register", ["Host: x", "Content-Type: application/json",
                                                "Content-Length: %d" % len(body)], body)
    data = head("POST", "/v1/auth/login", ["Host: x", "Content-Length: 5", "Transfer-Encoding: chunked",
                                           "Content-Type: application/json"], b"0\r\n\r\n") + inner
    exchange(data)
    n = psql("select count(*) from users where email = '%s'" % email)
    tally.record("smuggling: a request hidden after an ambiguous one writes nothing", n == "0", "%s accounts" % n)


def framing(tally):
    cases = [
        ("chunked body", ["Host: x", "Transfer-Encoding: chunked", "Content-Type: application/json"],
         b"2\r\n{}\r\n0\r\n\r\n", 411, True),
        ("60 KB chunk extension", ["Host: x", "Transfer-Encoding: chunked", "Content-Type: application/json"],
         b"2;" + b"e" * 60000 + b"\r\n{}\r\n0\r\n\r\n", 411, True),
        ("body over the public limit", ["Host: x", "Content-Length: 5000000", "Content-Type: application/json"],
         b"{", 413, True),
        ("no Host on HTTP/1.1", [], b"", 400, True),
        ("two Hosts", ["Host: a", "Host: b"], b"", 400, True),
        ("duplicate Authorization", ["Host: x", "Authorization: Bearer a", "Authorization: Bearer b"], b"", 400, True),
        ("control character in a header", ["Host: x", b"X-A: a\x01b"], b"", 400, True),
        ("NUL inside a header value", ["Host: x", b"X-A: a\x00b"], b"", 400, True),
        ("NUL inside the token", ["Host: x", b"Authorization: Bearer abc\x00def"], b"", 400, True),
        ("a line without a field name", ["Host: x", ": x"], b"", 400, True),
        ("a folded header", ["Host: x", "X-A: a\r\n b"], b"", 400, True),
        ("40 KiB header", ["Host: x", "X-Big: " + "y" * 40960], b"", 431, True),
        ("200 KiB header", ["Host: x", "X-Big: " + "y" * 204800], b"", 431, True),
        ("300 header fields", ["Host: x"] + ["X-H%d: v" % i for i in range(300)], b"", 431, True),
    ]
    for what, hdrs, body, want, close in cases:
        answers, closed, leftover = exchange(head("POST", "/v1/auth/login", hdrs, body) + SMUGGLED)
        name = "framing: %s" % what
        got = answers[0] if answers else (0, {}, b"")
        tally.record(name + ": %d problem" % want,
                     len(answers) == 1 and got[0] == want and problem_defect(*got) is None,
                     "%d answers, first %d %s %r" % (len(answers), got[0], problem_defect(*got), got[2][:100]))
        if close:
            tally.record(name + ": connection closed", closed, "still open")
    targets = [
        ("40 KiB target", "/v1/products?q=" + "x" * 40960, 414),
        ("50 KiB target", "/v1/products?q=" + "x" * 51200, 414),
        ("1000 query parameters", "/v1/products?" + "&".join("p%d=1" % i for i in range(1000)), 400),
        ("a fragment in an absolute-form target", "http://x/healthz#f", 400),
        ("a fragment", "/healthz#x", 400),
        ("a raw space", "/health z", 400),
        ("a raw NUL in the path", "/v1/products/1\x00abc", 400),
        ("a raw NUL in a query value", "/v1/products?limit=1\x00&limit=99", 400),
    ]
    for what, target, want in targets:
        answers, closed, _ = exchange(head("GET", target, ["Host: x"]), wait=1.0)
        got = answers[0] if answers else (0, {}, b"")
        tally.record("target: %s: %d problem" % (what, want),
                     len(answers) == 1 and got[0] == want and problem_defect(*got) is None,
                     "%d answers, first %d %s" % (len(answers), got[0], problem_defect(*got)))
    answers, closed, _ = exchange(head("GET", "/healthz", ["Host: x"]) + head("GET", "/healthz", ["Host: x"]), wait=1.0)
    tally.record("keep-alive: two pipelined requests, two answers, connection kept",
                 [a[0] for a in answers] == [200, 200] and not closed, "%r closed=%s" % ([a[0] for a in answers], closed))
    answers, _, _ = exchange(head("GET", "/healthz", [], version=b"HTTP/1.0"), wait=1.0)
    tally.record("HTTP/1.0 without Host is served", [a[0] for a in answers] == [200], repr([a[0] for a in answers]))
    answers, _, _ = exchange(head("GET", "http://x/healthz", ["Host: x"]), wait=1.0)
    tally.record("an absolute-form target is served (RFC 9112 section 3.2.2)",
                 [a[0] for a in answers] == [200], repr([a[0] for a in answers]))
    answers, closed, _ = exchange(head("G\xffT", "/healthz", ["Host: x"]), wait=1.0)
    got = answers[0] if answers else (0, {}, b"")
    tally.record("a method that is not a token: 400 problem", got[0] == 400 and problem_defect(*got) is None,
                 "%d %s" % (got[0], problem_defect(*got)))
    answers, closed, _ = exchange(b"GET\x00X /healthz HTTP/1.1\r\nHost: x\r\n\r\n", wait=1.0)
    got = answers[0] if answers else (0, {}, b"")
    tally.record("a raw NUL in the method: 400 problem", got[0] == 400 and problem_defect(*got) is None,
                 "%d %s" % (got[0], problem_defect(*got)))
    # a refused request with a small body: its body is read and dropped, the answer arrives
    # whole and the connection stays open for the next request
    body = b'{"email":"a@b.c","password":"x"}'
    req = head("POST", "/v1/products", ["Host: x", "Content-Type: application/json",
                                          "Authorization: Bearer nonsense", "Content-Length: %d" % len(body)], body)
    answers, closed, _ = exchange(req + head("GET", "/healthz", ["Host: x"]), wait=1.0)
    tally.record("a refused small body is drained: 401, then the next request on the connection",
                 [a[0] for a in answers] == [401, 200] and not closed, "%r closed=%s" % ([a[0] for a in answers], closed))


def plain_gets(tally, token):
    """The loops read plain GETs themselves (api/front.c) and hand every other request, with the
    rest of its connection, to libmicrohttpd: the same answers either way, no byte lost at the
    hand-over, and a GET head that is not plain judged by the same checks."""
    for what, hdrs, want in [
        ("no Host", [], 400),
        ("two Hosts", ["Host: a", "Host: b"], 400),
        ("duplicate Authorization", ["Host: x", "Authorization: Bearer a", "Authorization: Bearer b"], 400),
        ("a control character in a header", ["Host: x", b"X-A: a\x01b"], 400),
        ("a NUL in a header value", ["Host: x", b"X-A: a\x00b"], 400),
        ("a line without a field name", ["Host: x", ": x"], 400),
        ("a folded header", ["Host: x", "X-A: a\r\n b"], 400),
        ("a space before the colon", ["Host: x", "X-A : a"], 400),
        ("a bare CR in a value", ["Host: x", b"X-A: a\rb"], 400),
        ("chunked on a GET", ["Host: x", "Transfer-Encoding: chunked"], 411),
        ("120 header fields", ["Host: x"] + ["X-H%d: v" % i for i in range(120)], 431),
        ("40 KiB header", ["Host: x", "X-Big: " + "y" * 40960], 431),
    ]:
        answers, closed, leftover = exchange(head("GET", "/healthz", hdrs) + SMUGGLED, wait=1.0)
        got = answers[0] if answers else (0, {}, b"")
        name = "plain GET: %s" % what
        tally.record(name + ": one %d problem, the bytes after it unread" % want,
                     len(answers) == 1 and got[0] == want and problem_defect(*got) is None,
                     "%d answers, first %d %s %r" % (len(answers), got[0], problem_defect(*got), got[2][:100]))
        tally.record(name + ": connection closed", closed, "still open")
    # a head whose lines all end in a bare LF has no CR LF CR LF to wait for: it is judged at
    # once (by libmicrohttpd's path), not left until the head deadline
    answers, closed, _ = exchange(b"GET /healthz HTTP/1.1\nHost: x\n\n", wait=1.0)
    got = answers[0] if answers else (0, {}, b"")
    tally.record("plain GET: bare LF line ends answered at once with one 400 problem, closed",
                 len(answers) == 1 and got[0] == 400 and problem_defect(*got) is None and closed,
                 "%d answers, first %d %r closed=%s" % (len(answers), got[0], got[2][:100], closed))
    # GETs, then a request with a body, then GETs, pipelined on one connection: the body's
    # request goes to libmicrohttpd with every byte the loop peeked at and did not take
    body = b'{"email":"nobody@test.sellerdesk.dev","password":"not this one"}'
    post = head("POST", "/v1/auth/login", ["Host: x", "Content-Type: application/json",
                                           "Content-Length: %d" % len(body)], body)
    auth = "Authorization: Bearer %s" % token
    req = (head("GET", "/healthz", ["Host: x"]) + head("GET", "/v1/me", ["Host: x", auth]) + post
           + head("GET", "/v1/me", ["Host: x", auth]) + head("GET", "/v1/nothing-here", ["Host: x"]))
    answers, closed, leftover = exchange(req, wait=1.5)
    got = [a[0] for a in answers]
    tally.record("plain GETs, a body, GETs pipelined: five answers in order, connection kept",
                 got == [200, 200, 401, 200, 404] and not closed and not leftover,
                 "%r closed=%s leftover=%r" % (got, closed, leftover[:60]))
    me = [a for a in answers if a[0] == 200 and b'"email"' in a[2]]
    tally.record("plain GETs: /v1/me answered the same before and after the hand-over",
                 len(me) == 2 and me[0][2] == me[1][2], "%d answers of /v1/me" % len(me))
    answers, closed, _ = exchange(head("GET", "/healthz", ["Host: x", "Connection: close"]) + SMUGGLED, wait=1.5)
    got = answers[0] if answers else (0, {}, b"")
    tally.record("plain GET: Connection: close is answered with it, then closed",
                 len(answers) == 1 and got[0] == 200 and got[1].get("connection") == "close" and closed,
                 "%d answers, %r closed=%s" % (len(answers), got[1], closed))
    ok = got[0] == 200 and "date" in got[1] and int(got[1].get("content-length", "-1")) == len(got[2])
    tally.record("plain GET: the answer has a Date and its Content-Length", ok, repr(got[1]))
    answers, closed, _ = exchange(head("GET", "/healthz", ["Host: x", "Content-Length: 0"]), wait=1.0)
    tally.record("a GET with Content-Length: 0 is served", [a[0] for a in answers] == [200],
                 repr([a[0] for a in answers]))
    answers, closed, _ = exchange(head("HEAD", "/healthz", ["Host: x"]), wait=1.0)
    tally.record("HEAD (405 here) is answered once, without a body",
                 [(a[0], a[2]) for a in answers] == [(405, b"")], repr(answers))
    answers, closed, _ = exchange(head("GET", "/healthz", ["Host: x", "X-Pad: " + "p" * 12000]), wait=1.0)
    tally.record("a GET head of 12 KB (past what the loop peeks at) is served",
                 [a[0] for a in answers] == [200], repr([a[0] for a in answers]))
    # a head arriving a few bytes at a time
    s = socket.create_connection((HOST, PORT), timeout=5)
    data = head("GET", "/v1/me", ["Host: x", auth])
    for i in range(0, len(data), 7):
        s.sendall(data[i:i + 7])
        time.sleep(0.002)
    s.settimeout(3)
    raw = b""
    try:
        while not parse_responses(raw)[0]:
            d = s.recv(65536)
            if not d:
                break
            raw += d
    except socket.timeout:
        pass
    s.close()
    got = [a[0] for a in parse_responses(raw)[0]]
    tally.record("a GET head sent 7 bytes at a time is answered once", got == [200], repr(got))
    # three pipelined GETs and the client's end of sending: all three answered, then the close
    answers, closed, _ = exchange(head("GET", "/healthz", ["Host: x"]) * 3, shut=True)
    got = [a[0] for a in answers]
    tally.record("three pipelined GETs, then the client's FIN: three answers, then the close",
                 got == [200, 200, 200] and closed, "%r closed=%s" % (got, closed))


def connect_from(source, timeout=5):
    """A connection from another loopback address (127.0.0.0/8 is all this host's): the server
    counts connections per client address."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect((HOST, PORT))
    return s


def closed_within(sock, seconds):
    """Seconds until the server closed sock while it trickled a header, or None."""
    t0 = time.time()
    sock.settimeout(0.5)
    while time.time() - t0 < seconds:
        try:
            sock.send(b"X")
            if sock.recv(4096) == b"":
                return time.time() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.time() - t0
    return None


def slow_reader(results, token):
    """A 1 MiB file read at 1 KiB/s from a socket with a small receive buffer."""
    import json
    import os as _os
    c = Client()
    st, _, body = c.request("POST", "/v1/files", {"Content-Type": "image/png", "Authorization": "Bearer " + token},
                            b"\x89PNG\r\n\x1a\n" + _os.urandom(1 << 20))
    c.close()
    if st != 201:
        results["reader"] = "upload %d" % st
        return
    fid = json.loads(body)["id"]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("127.0.0.92", 0))
    s.connect((HOST, PORT))
    s.sendall(b"GET /v1/files/%d HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % (fid, token.encode()))
    t0 = time.time()
    s.settimeout(0.5)
    results["reader"] = None
    while time.time() - t0 < HEAD_TIMEOUT + 20:
        try:
            if s.recv(256) == b"":
                results["reader"] = time.time() - t0
                break
        except socket.timeout:
            pass
        except OSError:
            results["reader"] = time.time() - t0
            break
        time.sleep(0.25)
    s.close()


def slow_single(results):
    s = connect_from("127.0.0.90")
    s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    results["head"] = closed_within(s, HEAD_TIMEOUT + 6)
    s.close()
    s = connect_from("127.0.0.91")
    s.send(head("POST", "/v1/auth/login", ["Host: x", "Content-Type: application/json",
                                           "Content-Length: 10000"], b"{"))
    t0 = time.time()
    s.settimeout(HEAD_TIMEOUT + 8)
    try:
        s.recv(4096)
        results["body"] = time.time() - t0
    except socket.timeout:
        results["body"] = None
    except OSError:
        results["body"] = time.time() - t0
    s.close()


def still_open(socks):
    n = 0
    for s in socks:
        try:
            if s.recv(1) != b"":
                n += 1
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n


def open_crowd(count, sources):
    crowd = []
    for i in range(count):
        try:
            s = connect_from(sources[i % len(sources)])
            s.setblocking(False)
            s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            crowd.append(s)
        except OSError:
            break
    return crowd


def slow_crowd(tally, count, token):
    """count connections, from eight client addresses, that trickle a header line every second
    and never finish their heads; a normal client meanwhile, from another address."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 1024)), hard))
    single = {}
    t = threading.Thread(target=slow_single, args=(single,))
    t.start()
    reader = threading.Thread(target=slow_reader, args=(single, token))
    reader.start()
    crowd = open_crowd(count, ["127.0.0.%d" % i for i in range(10, 18)])
    time.sleep(0.5)
    tally.record("slow clients: %d slow connections open at once" % count,
                 len(crowd) == count and still_open(crowd) == count,
                 "%d opened, %d open" % (len(crowd), still_open(crowd)))
    normal, worst, answered = Client(timeout=5), 0.0, 0
    rounds = int(HEAD_TIMEOUT) + 3
    for _ in range(rounds):
        for s in crowd:
            try:
                s.send(b"X-Trickle: 1\r\n")
            except OSError:
                pass
        t0 = time.time()
        try:
            st, _, _ = normal.request("GET", "/healthz")
            answered += st == 200
            worst = max(worst, time.time() - t0)
        except Exception:
            normal.close()
        time.sleep(max(0.0, 1.0 - (time.time() - t0)))
    normal.close()
    tally.record("slow clients: a normal client is served all along (%d of %d, worst %.0f ms)"
                 % (answered, rounds, worst * 1000), answered == rounds and worst < 2.0,
                 "%d of %d answered, worst %.3f s" % (answered, rounds, worst))
    left = still_open(crowd)
    for s in crowd:
        s.close()
    tally.record("slow clients: heads not complete within %g s are closed" % HEAD_TIMEOUT,
                 left == 0, "%d of %d still open after %d s" % (left, len(crowd), rounds))
    t.join()
    reader.join()
    r = single.get("reader")
    tally.record("slow reader: a 1 MiB answer read at 1 KiB/s is cut once it falls behind (%s s)"
                 % (r if isinstance(r, str) else r and "%.1f" % r),
                 isinstance(r, float) and r <= HEAD_TIMEOUT + 6, "closed after %r" % r)
    h, b = single.get("head"), single.get("body")
    tally.record("slow head: closed after the head timeout (%s s)" % (h and "%.1f" % h),
                 h is not None and HEAD_TIMEOUT - 1 <= h <= HEAD_TIMEOUT + 3, "closed after %r s" % h)
    tally.record("slow body: closed when it falls below the minimum rate (%s s)" % (b and "%.1f" % b),
                 b is not None and b <= HEAD_TIMEOUT + 4, "closed after %r s" % b)


def one_client_over_its_limit(tally, per_client):
    """More slow connections from one address than it may hold: the oldest give way, and a
    normal request from that same address is still served."""
    crowd = open_crowd(per_client + 100, ["127.0.0.20"])
    time.sleep(0.5)
    left = still_open(crowd)
    s = connect_from("127.0.0.20")
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    s.settimeout(5)
    raw = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            raw += d
    except OSError:
        pass
    s.close()
    for c in crowd:
        c.close()
    tally.record("per client: %d slow connections from one address, at most %d stay open (%d)"
                 % (len(crowd), per_client, left), left <= per_client, "%d open" % left)
    tally.record("per client: a normal request from that address is served",
                 raw.startswith(b"HTTP/1.1 200"), repr(raw[:60]))


def non_readers(tally, count):
    """count connections from several addresses pipeline 20 requests for the contract (about
    200 KiB each) and read nothing; memory is checked by the sampler in main.py."""
    conns = []
    req = head("GET", "/openapi.yaml", ["Host: x"]) * 20
    for i in range(count):
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.bind(("127.0.0.%d" % (30 + i % 8), 0))
            s.connect((HOST, PORT))
            s.setblocking(False)
            s.send(req)
            conns.append(s)
        except OSError:
            break
    time.sleep(3)
    probe = Client(timeout=5)
    try:
        st, _, _ = probe.request("GET", "/healthz")
    except Exception:
        st = 0
    probe.close()
    for s in conns:
        s.close()
    tally.record("non-reading clients: %d connections holding answers, a normal request served"
                 % len(conns), st == 200 and len(conns) == count, "status %d, %d opened" % (st, len(conns)))


def run(tally, slow_count, per_client, token):
    smuggling(tally)
    framing(tally)
    plain_gets(tally, token)
    non_readers(tally, min(slow_count, 1000))
    one_client_over_its_limit(tally, per_client)
    slow_crowd(tally, slow_count, token)
