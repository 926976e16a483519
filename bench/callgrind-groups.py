#!/usr/bin/env python3
"""bench/callgrind-groups.py DUMP N [IDLE_DUMP]
   bench/callgrind-groups.py --table NAME=DUMP:N[:IDLE_DUMP]...   (the README's group table)
   bench/callgrind-groups.py --callees DUMP N FUNCTION...        (what a function calls)

One callgrind dump of N requests (every thread
of the server in one file, --dump-instr=no) broken down per request: instructions (Ir) by group,
calls to the allocator, and the functions with the most inclusive cost. An IDLE_DUMP (the same
server left alone for as long) is subtracted from the total first. See bench/README.md, "The
request path, a profile (issue 15, fourth step)".

A function's inclusive cost is its own instructions plus the inclusive cost callgrind recorded
for each call it made (calls to itself left out). --table partitions the instructions into
groups that add up to the total (see groups_of).
"""
import re
import sys
from collections import defaultdict

# name-compressed callgrind format: "fn=(12) name" defines, "fn=(12)" refers
def parse(path):
    names = {"ob": {}, "fl": {}, "fn": {}}
    selfc = defaultdict(int)          # (ob, fn) -> Ir
    calls = defaultdict(lambda: [0, 0])  # (caller, callee) -> [count, inclusive Ir]
    total = 0
    ob = fn = cob = cfn = None
    pending = None
    summary = None

    def name(kind, v):
        m = re.match(r"\((\d+)\)(?: (.*))?$", v)
        if not m:
            return v
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
            return m.group(2)
        return names[kind][m.group(1)]

    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if pending is not None:
                    key = ((ob, fn), pending[0])
                    calls[key][0] += pending[1]
                    calls[key][1] += cost
                    pending = None
                else:
                    selfc[(ob, fn)] += cost
                continue
            k, _, v = line.partition("=")
            if k == "ob":
                ob = name("ob", v)
            elif k == "fn":
                fn = name("fn", v)
                cob = None
            elif k in ("fl", "fi", "fe"):
                name("fl", v)
            elif k in ("cfi", "cfl"):
                name("fl", v)
            elif k == "cob":
                cob = name("ob", v)
            elif k == "cfn":
                cfn = name("fn", v)
            elif k == "calls":
                n = int(v.split()[0])
                pending = ((cob or ob, cfn), n)
                cob = None
            elif k == "summary":
                summary = int(v.split()[0])
            elif k == "totals" and summary is None:
                summary = int(v.split()[0])
    total = summary if summary is not None else sum(selfc.values())
    return selfc, calls, total


def our_object(selfc):
    """The server's binary, whatever it is called: the object that is not a shared library with
    the most instructions of its own."""
    own = defaultdict(int)
    for (ob, fn), v in selfc.items():
        if ob and ".so" not in ob.rsplit("/", 1)[-1] and not ob.startswith("???"):
            own[ob] += v
    return max(own, key=own.get) if own else None


def short_ob(o):
    o = (o or "?").rsplit("/", 1)[-1]
    return re.sub(r"\.so[.\d]*$", "", o)


def main():
    dump, n = sys.argv[1], int(sys.argv[2])
    idle_total = 0
    if len(sys.argv) > 3:
        idle_total = parse(sys.argv[3])[2]
    selfc, calls, total = parse(dump)
    incl = defaultdict(int)
    ncalls = defaultdict(int)
    for k, v in selfc.items():
        incl[k] += v
    for (a, b), (cnt, cost) in calls.items():
        ncalls[b] += cnt
        if a != b:
            incl[a] += cost
    byname = defaultdict(int)
    callsbyname = defaultdict(int)
    for k, v in incl.items():
        byname[k[1]] += v
    for k, v in ncalls.items():
        callsbyname[k[1]] += v

    req = total - idle_total
    per = lambda x: x / n
    print(f"dump {dump}: total Ir {total:,}, idle {idle_total:,}, requests {n}")
    print(f"Ir per request (total less idle): {per(req):,.0f}")

    # --- groups: the partition of --table (groups_of), for this dump ---------------------
    ours_ob = our_object(selfc)
    ours = lambda k: k[0] == ours_ob
    g, _ = partition(dump, n, sys.argv[3] if len(sys.argv) > 3 else None)
    print("\n| group | Ir/request | share |\n|---|---:|---:|")
    for label, v in sorted(g.items(), key=lambda x: (x[0].startswith("~"), -x[1] if not isinstance(x[1], str) else 0)):
        if isinstance(v, str):
            print(f"| {label.lstrip('~ ')} | {v} | |")
        else:
            print(f"| {label.lstrip('~ ')} | {v:,.0f} | {100 * v * n / max(req, 1):.1f} % |")
    print("\nCrossing from sellerdesk's code into a library (inclusive, per request):")
    xs = defaultdict(int)
    for (a, b), (cnt, cost) in calls.items():
        if ours(a) and not ours(b):
            xs[short_ob(b[0])] += cost
    for o, v in sorted(xs.items(), key=lambda x: -x[1]):
        print(f"  {o:24s} {per(v):12,.0f}")
    print("\nSelf cost by object (per request):")
    so = defaultdict(int)
    for k, v in selfc.items():
        so[short_ob(k[0])] += v
    for o, v in sorted(so.items(), key=lambda x: -x[1])[:14]:
        print(f"  {o:24s} {per(v):12,.0f}  {100 * v / max(total, 1):5.1f} %")
    print("\nlibc self cost by function (per request):")
    lc = [(k[1], v) for k, v in selfc.items() if short_ob(k[0]).startswith("libc")]
    for f_, v in sorted(lc, key=lambda x: -x[1])[:16]:
        print(f"  {f_:36s} {per(v):12,.0f}  calls/req {callsbyname.get(f_, 0) / n:8.1f}")
    print("\nAllocator calls per request:")
    for f_ in ("malloc", "calloc", "realloc", "free", "strdup", "strndup", "o_malloc", "o_free",
               "o_realloc", "o_strdup", "jsonp_malloc", "jsonp_free"):
        if callsbyname.get(f_):
            print(f"  {f_:12s} {callsbyname[f_] / n:8.1f}   Ir incl {per(byname.get(f_, 0)):10,.0f}")
    print("\nWho calls malloc/calloc/realloc/free (calls per request, by caller object):")
    who = defaultdict(int)
    for (a, b), (cnt, cost) in calls.items():
        if b[1] in ("malloc", "calloc", "realloc", "free") and short_ob(b[0]).startswith("libc"):
            who[(short_ob(a[0]), b[1])] += cnt
    for (o, f_), v in sorted(who.items(), key=lambda x: -x[1])[:20]:
        print(f"  {o:20s} {f_:8s} {v / n:8.1f}")
    print("\nTop inclusive (per request, >= 1 % of a request):")
    for f_, v in sorted(byname.items(), key=lambda x: -x[1]):
        if v < req * 0.01:
            break
        print(f"  {f_[:70]:70s} {per(v):12,.0f}  calls/req {callsbyname.get(f_, 0) / n:7.2f}")



def callees(dump, n, fns):
    selfc, calls, total = parse(dump)
    for fn in fns:
        s = sum(v for k, v in selfc.items() if k[1] == fn)
        print(f"{fn}: self {s / n:,.0f}")
        out = defaultdict(lambda: [0, 0])
        for (a, b), (cnt, cost) in calls.items():
            if a[1] == fn and a != b:
                out[(short_ob(b[0]), b[1])][0] += cnt
                out[(short_ob(b[0]), b[1])][1] += cost
        for (o, f_), (cnt, cost) in sorted(out.items(), key=lambda x: -x[1][1]):
            print(f"    -> {o:16s} {f_[:40]:40s} {cost / n:10,.0f}  calls/req {cnt / n:6.2f}")


# --- an exact partition of a request's instructions into the groups of bench/README.md ---------
# Every instruction is the self cost of one function. Ours (our_object: the binary, whatever it
# is called) go to a group by the function's name. A library's go to the group of the
# function of ours that called into it (the inclusive cost of each call from ours into a library;
# a library calls back into ours through libmicrohttpd, below, and otherwise only once a process
# (pthread_once, qsort in the lexicon's build): counted twice then, and the balance goes negative
# by as much, divided by N; profile-reads.sh's warm call runs them before the counters start). libmicrohttpd's own work is
# its self cost and its calls into other libraries; its calls back into ours are counted as ours.
# The loops and the front (since the eleventh step) are ours, run from our own threads: before
# that, every request came through libmicrohttpd's callbacks and the total less those was its.
# The same partition of the idle dump is subtracted group by group; what no group takes
# (threads' starts, the dynamic loader) is the balance.
ALLOC = ("malloc", "calloc", "realloc", "free", "strdup", "strndup", "posix_memalign")
MHD = "HTTP: libmicrohttpd (own work, and libraries it calls)"
MHD_MEMSET = "HTTP: libmicrohttpd's pool memset (rep stosb)"


def group_of(fn):
    rules = [
        ("logging", ("log_",)),
        ("metrics", ("metrics_",)),
        ("auth: JWT + principal cache", ("auth_", "token_cache", "principal_cache", "apikey_",
                                         "api_key", "http_client_address")),
        ("libpq, statement pipe, stores", ("db_", "http_conn", "http_query_conn", "http_read",
                                           "product_store", "chat_store", "user_store",
                                           "question_store", "notification_store")),
        ("JSON: join, page, cursor, jansson", ("json_page_of", "http_page", "cursor_", "me_get",
                                               "http_json", "chats_list", "questions_")),
        ("HTTP: our loops, front and answers", ("loop_", "front_", "answer_", "text_")),
        ("dispatch, head checks, routing", ("dispatch_", "head_", "uri_", "routes_", "conn_",
                                            "http_header", "http_ctx_of", "server_",
                                            "event_hub_", "http_path", "http_query",
                                            "http_check_query", "http_set_header")),
    ]
    for g, prefixes in rules:
        if fn.startswith(prefixes):
            return g
    return "handlers, other"


def groups_of(dump):
    selfc, calls, total = parse(dump)
    ours_ob = our_object(selfc)
    ours = lambda k: k[0] == ours_ob
    mhd = lambda k: short_ob(k[0]).startswith("libmicrohttpd")
    g = defaultdict(int)
    for k, v in selfc.items():
        if ours(k):
            g[group_of(k[1])] += v
        elif mhd(k):
            g[MHD] += v
    for (a, b), (c, cost) in calls.items():
        if a == b or ours(b) or mhd(b) or not (ours(a) or mhd(a)):
            continue
        ob = short_ob(b[0])
        if mhd(a):
            g[MHD_MEMSET if "memset" in b[1] else MHD] += cost
        elif b[1] in ALLOC:
            g["allocator (calls from our code)"] += cost
        elif ob in ("libulfius", "liborcania"):
            g["Ulfius objects and maps"] += cost
        elif ob == "libpq":
            g["libpq, statement pipe, stores"] += cost
        elif ob == "libjansson":
            g["JSON: join, page, cursor, jansson"] += cost
        else:
            g[group_of(a[1])] += cost
    g["background threads and idle baseline (balance)"] = total - sum(g.values())
    return g, selfc, calls, total


def partition(dump, n, idle=None):
    g, selfc, calls, total = groups_of(dump)
    idle_total = 0
    if idle:
        gi, _, _, idle_total = groups_of(idle)
        for k, v in gi.items():
            g[k] -= v
    rep = sum(v for k, v in selfc.items() if "memset" in k[1] or "memcpy" in k[1] or "memmove" in k[1])
    g["~ of all: memset/memcpy/memmove (rep movs/stos, counted per byte)"] = rep
    allocs = defaultdict(int)
    for (a, b), (c, cost) in calls.items():
        if b[1] in ("malloc", "calloc", "realloc", "free") and short_ob(b[0]).startswith("libc"):
            allocs[b[1]] += c
    g["~ allocator calls per request: malloc+calloc+realloc / free"] = (
        f"{(allocs['malloc'] + allocs['calloc'] + allocs['realloc']) / n:.1f} / {allocs['free'] / n:.1f}")
    return {k: (v / n if not isinstance(v, str) else v) for k, v in g.items()}, (total - idle_total) / n


def table(args):
    cols = []
    for spec in args:  # name=dump:n[:idle]
        name, rest = spec.split("=", 1)
        parts = rest.split(":")
        cols.append((name, partition(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else None)))
    keys = []
    for _, (g, _) in cols:
        for k in g:
            if k not in keys:
                keys.append(k)
    keys.sort(key=lambda k: (k.startswith("~"), -max(c[1][0].get(k, 0) if not
                                                     isinstance(c[1][0].get(k, 0), str) else 0 for c in cols)))
    print("| group | " + " | ".join(c[0] for c in cols) + " |")
    print("|---|" + "---:|" * len(cols))
    fmt = lambda v: v if isinstance(v, str) else f"{v:,.0f}"
    for k in keys:
        if not k.startswith("~"):
            print(f"| {k} | " + " | ".join(fmt(c[1][0].get(k, 0)) for c in cols) + " |")
    print("| **total** | " + " | ".join(f"**{c[1][1]:,.0f}**" for c in cols) + " |")
    for k in keys:
        if k.startswith("~"):
            print(f"| {k[2:]} | " + " | ".join(fmt(c[1][0].get(k, 0)) for c in cols) + " |")


if __name__ == "__main__":
    if sys.argv[1] == "--table":
        table(sys.argv[2:])
    elif sys.argv[1] == "--callees":
        callees(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    else:
        main()
