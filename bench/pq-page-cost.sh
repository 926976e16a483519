#!/usr/bin/env bash
# bench/pq-page-cost.sh — what libpq costs the client for a history page as 51 rows (the server's
# statement) and as one row (the same rows joined by string_agg in PostgreSQL): instructions per
# PQexecPrepared under callgrind (201 runs less 1, divided by 200) and poll/recvfrom per
# statement under strace. bench/README.md, "The request path, a profile (issue 15, fourth step)".
#
#   DATABASE_URL=... CHAT=328 VIEWER=2493 bench/pq-page-cost.sh
#
# CHAT and VIEWER: a probe chat of bench/gen-chats and one of its sides (bench/hotreads.sh's
# pairs.tsv). The statements are the server's chat_q_messages_before with its parameters written
# in (before = 0, limit 50 + 1, role buyer).
set -euo pipefail
: "${DATABASE_URL:?}" "${CHAT:?}" "${VIEWER:?}"
d=$(mktemp -d /tmp/pq-page-cost.XXXXXX)
trap 'rm -rf "$d"' EXIT
cat >"$d/pqpage.c" <<'C'
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) /* conninfo sqlfile N */
{
    static char sql[65536];
    PGconn *c = PQconnectdb(argv[1]);
    FILE *f = fopen(argv[2], "r");
    size_t n = fread(sql, 1, sizeof sql - 1, f), total = 0;
    int runs = atoi(argv[3]);
    sql[n] = 0;
    PQclear(PQprepare(c, "s", sql, 0, NULL));
    for (int i = 0; i < runs; i++) {
        PGresult *r = PQexecPrepared(c, "s", 0, NULL, NULL, NULL, 0);
        for (int k = 0; k < PQntuples(r); k++)
            total += (size_t)PQgetlength(r, k, PQnfields(r) - 1);
        PQclear(r);
    }
    printf("%zu bytes a statement\n", runs ? total / (size_t)runs : 0);
    PQfinish(c);
    return 0;
}
C
cc -O2 -I"$(pg_config --includedir)" "$d/pqpage.c" -lpq -o "$d/pqpage"
rows="WITH sides AS (SELECT side, last_read_id, user_id FROM chat_sides WHERE chat_id = $CHAT)
 SELECT m.id, chat_message_json(m, (SELECT last_read_id FROM sides WHERE side <> m.side), u.display_name)::text
 FROM chat_messages m JOIN users u ON u.id = m.author_id
 WHERE EXISTS (SELECT 1 FROM sides s WHERE s.user_id = $VIEWER OR ('buyer' = 'support' AND s.side = 'support'))
   AND m.chat_id = $CHAT AND m.id < coalesce(nullif(0::bigint, 0), 9223372036854775807)
 ORDER BY m.chat_id DESC, m.id DESC LIMIT 51"
printf '%s' "$rows" >"$d/rows.sql"
printf '%s' "SELECT min(id) FILTER (WHERE n <= 50), count(*) > 50,
 '[' || coalesce(string_agg(j, ',' ORDER BY n) FILTER (WHERE n <= 50), '') || ']'
 FROM (SELECT row_number() OVER () AS n, id, j FROM ($rows) p(id, j)) q" >"$d/agg.sql"
for q in rows agg; do
    for n in 1 201; do
        valgrind --tool=callgrind "--callgrind-out-file=$d/cg.$q.$n" "$d/pqpage" "$DATABASE_URL" "$d/$q.sql" "$n" >/dev/null 2>&1
    done
    a=$(sed -n 's/^summary: //p' "$d/cg.$q.1"); b=$(sed -n 's/^summary: //p' "$d/cg.$q.201")
    strace -f -c -e trace=poll,recvfrom -o "$d/st.$q" "$d/pqpage" "$DATABASE_URL" "$d/$q.sql" 200 >"$d/out.$q"
    awk -v q="$q" -v a="$a" -v b="$b" -v out="$(cat "$d/out.$q")" '
        $NF == "poll" { p = $4 } $NF == "recvfrom" { r = $4 }
        END { printf "%-5s %s; %.0f instructions per PQexecPrepared; per statement %.2f poll, %.2f recvfrom\n",
                     q, out, (b - a) / 200, p / 200, r / 200 }' "$d/st.$q"
done
