-- GET /v1/questions?product_id=|sku=[&status=&date_from=&date_to=] as a seller, first page
-- (default limit 20): auth_authenticate's user lookup (src/user_store.c user_q_get), then
-- src/question_store.c question_q_list_product_seller (a product filter given), verbatim, with the handler's parameters: $1 the
-- seller, $2 the cursor's id (0 = first page), $3 limit + 1 (21), $4 status, $5 product_id,
-- $6 sku, $7 date_from, $8 date_to, $9 show moderation (false for a seller). The statement is
-- planned per call (DB_QUERY: an unnamed statement, a custom plan), so run this with
-- `pgbench -M extended`. pgbench variables cannot be NULL: each filter is
-- NULLIF(:var, 'all') with -D var=all for "not given" (dates: NULLIF(:var::date, '-infinity'),
-- as a text cast to date would not fold when planning) (a parameter still, NULL at run time; the
-- custom plan folds it as it folds the server's NULL). pgbench numbers each occurrence of a
-- variable as its own $n, so where the server's second occurrence of $n takes its type from
-- the first, the cast is written again.
SELECT role, user_json(u) FROM users u WHERE id = :uid;
SELECT q.id, question_json(q, :show) FROM questions q WHERE q.moderation_status = 'approved' AND :uid::bigint > 0 AND (q.created_at, q.id) < ((SELECT coalesce(max(c.created_at), CASE WHEN :after::bigint = 0 THEN 'infinity'::timestamptz ELSE '-infinity' END) FROM questions c WHERE c.id = :after), (SELECT coalesce(max(c.id), CASE WHEN :after::bigint = 0 THEN 9223372036854775807 ELSE 0 END) FROM questions c WHERE c.id = :after)) AND (NULLIF(:status, 'all')::text IS NULL OR q.status = NULLIF(:status, 'all')::text) AND (NULLIF(:dfrom::date, '-infinity') IS NULL OR q.created_at >= (NULLIF(:dfrom::date, '-infinity')::timestamp AT TIME ZONE 'UTC')) AND (NULLIF(:dto::date, '-infinity') IS NULL OR q.created_at < ((NULLIF(:dto::date, '-infinity') + 1)::timestamp AT TIME ZONE 'UTC')) AND q.product_id = (SELECT p.id FROM products p WHERE (NULLIF(:product, 'all')::bigint IS NULL OR p.id = NULLIF(:product, 'all')::bigint) AND (NULLIF(:sku, 'all')::bigint IS NULL OR p.sku = NULLIF(:sku, 'all')::bigint) AND p.seller_id = :uid) ORDER BY q.created_at DESC, q.id DESC LIMIT :lim;
