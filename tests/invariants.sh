#!/usr/bin/env bash
# tests/invariants.sh — after the API suites have worked the database over, the figures the
# schema keeps up to date by triggers and by the store equal a recount of the rows they
# summarise. Each query lists the rows that disagree; none must.
# Usage: DATABASE_URL=... tests/invariants.sh
set -uo pipefail
passed=0 failed=0
check() { # name, query returning the disagreeing rows
    local out
    if ! out=$(psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 -c "$2" 2>&1); then
        failed=$((failed + 1)); echo "FAIL: $1: $out"
    elif [ -n "$out" ]; then
        failed=$((failed + 1)); echo "FAIL: $1:"; head -n 20 <<<"$out"
    else
        passed=$((passed + 1)); echo "ok: $1"
    fi
}

check "question_counts equal a recount of the questions" "
WITH actual AS (
    SELECT seller_id, moderation_status = 'approved' AS approved,
           count(*) FILTER (WHERE status = 'new') AS new,
           count(*) FILTER (WHERE status = 'viewed') AS viewed,
           count(*) FILTER (WHERE status = 'processed') AS processed
      FROM questions GROUP BY 1, 2)
SELECT coalesce(a.seller_id, c.seller_id), coalesce(a.approved, c.approved),
       a.new, c.new, a.viewed, c.viewed, a.processed, c.processed
  FROM actual a FULL JOIN question_counts c USING (seller_id, approved)
 WHERE (coalesce(a.new, 0), coalesce(a.viewed, 0), coalesce(a.processed, 0))
       IS DISTINCT FROM (coalesce(c.new, 0), coalesce(c.viewed, 0), coalesce(c.processed, 0))"

check "questions.published_answers equals its approved, undeleted answers" "
SELECT q.id, q.published_answers, count(a.id)
  FROM questions q LEFT JOIN answers a ON a.question_id = q.id
   AND a.moderation_status = 'approved' AND a.deleted_at IS NULL
 GROUP BY q.id HAVING q.published_answers <> count(a.id)"

check "the API suites asked questions (the checks above saw rows)" "
SELECT 'no questions' WHERE NOT EXISTS (SELECT 1 FROM questions WHERE status = 'processed')
    OR NOT EXISTS (SELECT 1 FROM question_counts WHERE processed > 0)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
