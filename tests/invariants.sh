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

check "review_counts equal a recount of the listed reviews" "
WITH actual AS (
    SELECT seller_id, count(*) AS total,
           count(*) FILTER (WHERE status = 'new') AS new,
           count(*) FILTER (WHERE status = 'viewed') AS viewed,
           count(*) FILTER (WHERE status = 'processed') AS processed,
           count(*) FILTER (WHERE official_answers = 0) AS unanswered,
           count(*) FILTER (WHERE rating = 1) AS r1, count(*) FILTER (WHERE rating = 2) AS r2,
           count(*) FILTER (WHERE rating = 3) AS r3, count(*) FILTER (WHERE rating = 4) AS r4,
           count(*) FILTER (WHERE rating = 5) AS r5
      FROM reviews WHERE listed GROUP BY 1)
SELECT coalesce(a.seller_id, c.seller_id), a.total, c.total, a.new, c.new
  FROM actual a FULL JOIN review_counts c USING (seller_id)
 WHERE (coalesce(a.total, 0), coalesce(a.new, 0), coalesce(a.viewed, 0), coalesce(a.processed, 0),
        coalesce(a.unanswered, 0), coalesce(a.r1, 0), coalesce(a.r2, 0), coalesce(a.r3, 0),
        coalesce(a.r4, 0), coalesce(a.r5, 0))
       IS DISTINCT FROM (coalesce(c.total, 0), coalesce(c.new, 0), coalesce(c.viewed, 0),
        coalesce(c.processed, 0), coalesce(c.unanswered, 0), coalesce(c.r1, 0), coalesce(c.r2, 0),
        coalesce(c.r3, 0), coalesce(c.r4, 0), coalesce(c.r5, 0))"

check "product_ratings equal a recount of the public reviews" "
WITH actual AS (
    SELECT product_id, count(*) AS count, sum(rating) AS total,
           count(*) FILTER (WHERE rating = 1) AS r1, count(*) FILTER (WHERE rating = 2) AS r2,
           count(*) FILTER (WHERE rating = 3) AS r3, count(*) FILTER (WHERE rating = 4) AS r4,
           count(*) FILTER (WHERE rating = 5) AS r5
      FROM reviews WHERE public GROUP BY 1)
SELECT coalesce(a.product_id, c.product_id), a.count, c.count, a.total, c.total
  FROM actual a FULL JOIN product_ratings c USING (product_id)
 WHERE (coalesce(a.count, 0), coalesce(a.total, 0), coalesce(a.r1, 0), coalesce(a.r2, 0),
        coalesce(a.r3, 0), coalesce(a.r4, 0), coalesce(a.r5, 0))
       IS DISTINCT FROM (coalesce(c.count, 0), coalesce(c.total, 0), coalesce(c.r1, 0),
        coalesce(c.r2, 0), coalesce(c.r3, 0), coalesce(c.r4, 0), coalesce(c.r5, 0))"

check "reviews.official_answers equals its approved, undeleted official comments" "
SELECT r.id, r.official_answers, count(c.id)
  FROM reviews r LEFT JOIN review_comments c ON c.review_id = r.id AND c.official
   AND c.moderation_status = 'approved' AND c.deleted_at IS NULL
 GROUP BY r.id HAVING r.official_answers <> count(c.id)"

check "a review's published content is its approved version's" "
SELECT r.id FROM reviews r JOIN review_versions v ON v.review_id = r.id AND v.version = r.version
 WHERE r.version > 0 AND (v.moderation_status <> 'approved' OR (r.rating, r.text, r.pros, r.cons, r.media)
       IS DISTINCT FROM (v.rating, v.text, v.pros, v.cons, v.media)
       OR r.media_json::text <> review_media_json(v.media)::text)"

check "the API suites wrote reviews (the checks above saw rows)" "
SELECT 'no reviews' WHERE NOT EXISTS (SELECT 1 FROM reviews WHERE status = 'processed' AND public)
    OR NOT EXISTS (SELECT 1 FROM product_ratings WHERE count > 1)
    OR NOT EXISTS (SELECT 1 FROM reviews WHERE refused AND listed)"

check "the API suites asked questions (the checks above saw rows)" "
SELECT 'no questions' WHERE NOT EXISTS (SELECT 1 FROM questions WHERE status = 'processed')
    OR NOT EXISTS (SELECT 1 FROM question_counts WHERE processed > 0)"


check "promotion_products.sold equals the promotion units of live postings" "
SELECT pp.promotion_id, pp.product_id, pp.sold,
       coalesce(sum(i.promo_quantity) FILTER (WHERE p.id IS NOT NULL), 0)
  FROM promotion_products pp
  LEFT JOIN posting_items i ON i.promotion_id = pp.promotion_id AND i.product_id = pp.product_id
  LEFT JOIN postings p ON p.id = i.posting_id AND p.status NOT IN ('cancelled', 'refused')
 GROUP BY 1, 2, 3 HAVING pp.sold <> coalesce(sum(i.promo_quantity) FILTER (WHERE p.id IS NOT NULL), 0)"

check "no item is priced by a promotion that was not running or beyond its quantity" "
SELECT i.posting_id, i.product_id, i.promotion_id, i.action_price, i.promo_quantity, i.quantity
  FROM posting_items i JOIN postings p ON p.id = i.posting_id
  LEFT JOIN promotions pr ON pr.id = i.promotion_id
 WHERE i.promotion_id IS NOT NULL AND (pr.id IS NULL OR i.promo_quantity < 1
       OR i.promo_quantity > i.quantity OR i.action_price >= i.price
       OR p.created_at < pr.date_start OR p.created_at >= least(pr.date_end, pr.ended_at))"

check "dispute_counts equal a recount of the disputes (per buyer, seller and all)" "
WITH actual AS (
    SELECT p AS party_id, d.state, count(*) AS n
      FROM disputes d, unnest(ARRAY[d.buyer_id, d.seller_id, 0]) p GROUP BY 1, 2)
SELECT coalesce(a.party_id, c.party_id), coalesce(a.state, c.state), a.n, c.n
  FROM actual a FULL JOIN dispute_counts c USING (party_id, state)
 WHERE coalesce(a.n, 0) <> coalesce(c.n, 0)"

check "a dispute's unread counts equal its messages past each side's read mark" "
SELECT s.dispute_id, s.side, s.unread, count(m.id)
  FROM dispute_sides s LEFT JOIN dispute_messages m
    ON m.dispute_id = s.dispute_id AND m.side <> s.side AND m.id > s.last_read_id
 GROUP BY 1, 2, 3 HAVING s.unread <> count(m.id)"

check "every dispute's history leads to its state, one move after another" "
SELECT d.id, d.state, e.to_state
  FROM disputes d
  LEFT JOIN LATERAL (SELECT to_state FROM dispute_events e WHERE e.dispute_id = d.id
                      ORDER BY e.id DESC LIMIT 1) e ON true
 WHERE e.to_state IS DISTINCT FROM d.state
UNION ALL
SELECT e.dispute_id, e.from_state, p.to_state
  FROM dispute_events e
  JOIN LATERAL (SELECT to_state FROM dispute_events p WHERE p.dispute_id = e.dispute_id
                   AND p.id < e.id ORDER BY p.id DESC LIMIT 1) p ON true
 WHERE e.from_state IS DISTINCT FROM p.to_state"

check "an open dispute per posting at most, and no refund above what was paid" "
SELECT posting_id, count(*) FROM disputes WHERE closed_at IS NULL GROUP BY 1 HAVING count(*) > 1
UNION ALL
SELECT id, outcome_amount FROM disputes WHERE outcome_amount > paid OR amount > paid
    OR offer_amount > paid"

check "the API suites worked disputes over (the checks above saw rows)" "
SELECT 'no disputes' WHERE NOT EXISTS (SELECT 1 FROM disputes WHERE state = 'decided')
    OR NOT EXISTS (SELECT 1 FROM dispute_events WHERE actor_role = 'system')
    OR NOT EXISTS (SELECT 1 FROM dispute_messages)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
