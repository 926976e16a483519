-- GET /v1/notifications[?cursor=...]: auth_authenticate's user lookup (src/user_store.c
-- user_q_get), then src/notification_store.c notification_q_feed (the statement without a tab
-- filter; ?tab= has its own statement) with the handler's parameters: $1 user, $2 the
-- cursor's id (0 = first page), $3 unread_only (false), $4 limit + 1 (21). pgbench numbers
-- each occurrence of a variable as its own $n; the types it infers are the same.
SELECT role, user_json(u) FROM users u WHERE id = :uid;
WITH me AS (SELECT id, role, created_at FROM users WHERE id = :uid) SELECT id, j FROM (  (SELECT n.id, notification_json(n)::text AS j FROM notifications n    WHERE n.user_id = :uid AND n.id < coalesce(nullif(:after::bigint, 0), 9223372036854775807)      AND (NOT :unread::bool OR n.read_at IS NULL)    ORDER BY n.id DESC LIMIT :lim)  UNION ALL  (SELECT b.id, broadcast_feed_json(b, r.read_at)::text FROM me, broadcasts b     LEFT JOIN broadcast_reads r ON r.broadcast_id = b.id AND r.user_id = :uid    WHERE broadcast_targets(b, me.id, me.role, me.created_at)      AND b.id < coalesce(nullif(:after::bigint, 0), 9223372036854775807)      AND (NOT :unread::bool OR r.read_at IS NULL)    ORDER BY b.id DESC LIMIT :lim) ) f ORDER BY id DESC LIMIT :lim;
