-- GET /v1/questions/counts as support: auth_authenticate's user lookup (src/user_store.c
-- user_q_get), then src/question_store.c question_q_counts_support, verbatim ($1 = :uid): the
-- sum of every seller's counters. A prepared statement (DB_STMT): `pgbench -M prepared`.
SELECT role, user_json(u) FROM users u WHERE id = :uid;
SELECT json_build_object('all', coalesce(sum(c.new + c.viewed + c.processed), 0), 'new', coalesce(sum(c.new), 0), 'viewed', coalesce(sum(c.viewed), 0), 'processed', coalesce(sum(c.processed), 0)) FROM question_counts c WHERE :uid::bigint > 0;
