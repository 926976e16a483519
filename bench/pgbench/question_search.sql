-- GET /v1/questions?q=WORDS as a seller, first page (default limit 20): auth_authenticate's
-- user lookup (src/user_store.c user_q_get), then src/question_store.c
-- question_q_search_products_seller (the seller's products whose sku or offer_id is q: $1
-- seller, $2 q, $3 q when it is all digits, NULL for words) and question_q_search_seller with
-- those products as $11, verbatim, with the handler's parameters: those of
-- bench/pgbench/question_list.sql ($1 seller, $2 cursor id, $3 limit + 1, $4-$8 filters, $9
-- show moderation) and $10 q. The search is planned per call (DB_QUERY): run with
-- `pgbench -M extended` (the server prepares the products lookup, a DB_STMT; pgbench runs one
-- mode per script, so here it is planned per call too: one index lookup). NULL filters are
-- NULLIF(:var, 'all') with -D var=all, as in question_list.sql; :q is the search text
-- (-D q=...), :qsku all for words. The products' array goes from the first statement to the
-- second as the server passes it, as text (\gset :prods).
SELECT role, user_json(u) FROM users u WHERE id = :uid;
SELECT coalesce(array_agg(p.id), '{}') AS prods FROM products p WHERE p.seller_id = :uid AND (p.sku = NULLIF(:qsku, 'all')::bigint OR p.offer_id = :q) \gset
SELECT q.id, question_json(q, :show) FROM questions q WHERE q.seller_id = :uid AND q.moderation_status = 'approved' AND (q.created_at, q.id) < ((SELECT coalesce(max(c.created_at), CASE WHEN :after::bigint = 0 THEN 'infinity'::timestamptz ELSE '-infinity' END) FROM questions c WHERE c.id = :after), (SELECT coalesce(max(c.id), CASE WHEN :after::bigint = 0 THEN 9223372036854775807 ELSE 0 END) FROM questions c WHERE c.id = :after)) AND (NULLIF(:status, 'all')::text IS NULL OR q.status = NULLIF(:status, 'all')::text) AND (NULLIF(:dfrom::date, '-infinity') IS NULL OR q.created_at >= (NULLIF(:dfrom::date, '-infinity')::timestamp AT TIME ZONE 'UTC')) AND (NULLIF(:dto::date, '-infinity') IS NULL OR q.created_at < ((NULLIF(:dto::date, '-infinity') + 1)::timestamp AT TIME ZONE 'UTC')) AND (NULLIF(:product, 'all')::bigint IS NULL OR q.product_id = NULLIF(:product, 'all')::bigint) AND (NULLIF(:sku, 'all')::bigint IS NULL OR q.product_id = (SELECT id FROM products WHERE sku = NULLIF(:sku, 'all')::bigint)) AND (q.search @@ (websearch_to_tsquery('russian', :q) || websearch_to_tsquery('english', :q)) OR q.product_id = ANY (:prods::bigint[])) ORDER BY q.created_at DESC, q.id DESC LIMIT :lim;
