-- GET /v1/notifications/counters: auth_authenticate's user lookup (src/user_store.c user_q_get),
-- then src/notification_store.c notification_q_counters, verbatim ($1 = :uid).
SELECT role, user_json(u) FROM users u WHERE id = :uid;
WITH me AS (SELECT id, role, created_at FROM users WHERE id = :uid) SELECT coalesce(json_object_agg(tab, n), '{}')::text FROM (  SELECT tab, sum(c)::int AS n FROM (    SELECT tab, count(*) AS c FROM notifications     WHERE user_id = :uid AND read_at IS NULL GROUP BY tab    UNION ALL    SELECT b.tab, count(*) FROM me, broadcasts b     WHERE broadcast_targets(b, me.id, me.role, me.created_at)       AND NOT EXISTS (SELECT 1 FROM broadcast_reads r                        WHERE r.broadcast_id = b.id AND r.user_id = :uid)     GROUP BY b.tab) u GROUP BY tab) t;
