-- GET /v1/questions/counts as a seller: auth_authenticate's user lookup (src/user_store.c
-- user_q_get), then src/question_store.c question_q_counts_seller, verbatim ($1 = :uid): one
-- row of the counters the statement triggers of question_counts keep. A prepared statement
-- (DB_STMT), as the server runs it: `pgbench -M prepared`.
SELECT role, user_json(u) FROM users u WHERE id = :uid;
SELECT json_build_object('all', coalesce(c.new + c.viewed + c.processed, 0), 'new', coalesce(c.new, 0), 'viewed', coalesce(c.viewed, 0), 'processed', coalesce(c.processed, 0)) FROM (SELECT :uid::bigint AS id) s LEFT JOIN question_counts c ON c.seller_id = s.id AND c.approved;
