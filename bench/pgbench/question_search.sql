-- GET /v1/questions?q=WORDS as a seller, first page (default limit 20): auth_authenticate's
-- user lookup (src/user_store.c user_q_get), then src/question_store.c
-- question_q_search_seller, verbatim, with the handler's parameters: those of
-- bench/pgbench/question_list.sql ($1 seller, $2 cursor id, $3 limit + 1, $4-$8 filters, $9
-- show moderation), $10 q, $11 q again when it is all digits (an item number; NULL for words).
-- Planned per call (DB_QUERY): run with `pgbench -M extended`. NULL filters are
-- NULLIF(:var, 'all') with -D var=all, as in question_list.sql; :q is the search text
-- (-D q=...), :qsku all for words.
SELECT role, user_json(u) FROM users u WHERE id = :uid;
SELECT q.id, question_json(q, :show) FROM questions q WHERE q.seller_id = :uid AND q.moderation_status = 'approved' AND q.id < coalesce(nullif(:after::bigint, 0), 9223372036854775807) AND (NULLIF(:status, 'all')::text IS NULL OR q.status = NULLIF(:status, 'all')::text) AND (NULLIF(:product, 'all')::bigint IS NULL OR q.product_id = NULLIF(:product, 'all')::bigint) AND (NULLIF(:sku, 'all')::bigint IS NULL OR q.product_id = (SELECT id FROM products WHERE sku = NULLIF(:sku, 'all')::bigint)) AND (NULLIF(:dfrom, 'all')::date IS NULL OR q.created_at >= (NULLIF(:dfrom, 'all')::date::timestamp AT TIME ZONE 'UTC')) AND (NULLIF(:dto, 'all')::date IS NULL OR q.created_at < ((NULLIF(:dto, 'all')::date + 1)::timestamp AT TIME ZONE 'UTC')) AND q.id IN (SELECT s.id FROM questions s WHERE s.seller_id = :uid AND s.moderation_status = 'approved' AND s.search @@ (websearch_to_tsquery('russian', :q) || websearch_to_tsquery('english', :q)) UNION ALL SELECT s.id FROM products p JOIN questions s ON s.product_id = p.id WHERE p.seller_id = :uid AND s.seller_id = :uid AND s.moderation_status = 'approved' AND (p.sku = NULLIF(:qsku, 'all')::bigint OR p.offer_id = :q)) ORDER BY q.seller_id, q.id DESC LIMIT :lim;
