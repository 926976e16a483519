-- GET /v1/chats (no filters, default limit 20) of one user: auth_authenticate's user lookup
-- (src/user_store.c user_q_get; the server takes it from its account cache, so pgbench does
-- one round trip more than the server), then src/chat_store.c chat_q_list_user (the page and,
-- as a third column, the total unread), verbatim, with the handler's parameters: $1 the user, $2 the cursor's activity (0 = first
-- page), $3 kind, $4 status, $7 assigned (all NULL: no filter), $5 unread_only false,
-- $6 awaiting_reply -1 (not given), $8 limit + 1 (21). pgbench variables cannot be NULL, so
-- each NULL is written NULLIF(:none, 'all')::text with -D none=all: still a parameter, NULL at run
-- time. pgbench numbers each occurrence of a variable as its own $n; the types are the same.
SELECT role, user_json(u) FROM users u WHERE id = :uid;
SELECT s.activity, chat_json(c, s)::text, (SELECT coalesce(sum(t.unread), 0) FROM chat_sides t WHERE t.user_id = :uid   AND t.unread > 0 AND (NULLIF(:none, 'all')::text IS NULL OR t.kind = NULLIF(:none, 'all')::text)) FROM chat_sides s JOIN chats c ON c.id = s.chat_id WHERE s.user_id = :uid AND s.activity < coalesce(nullif(:before::bigint, 0), 9223372036854775807) AND (NULLIF(:none, 'all')::text IS NULL OR s.kind = NULLIF(:none, 'all')::text)   AND (NULLIF(:none, 'all')::text IS NULL OR s.status = NULLIF(:none, 'all')::text) AND (NOT :unread::bool OR s.unread > 0)   AND (:awaiting::int < 0 OR (s.awaiting_since IS NOT NULL) = (:awaiting::int = 1))   AND (NULLIF(:none, 'all')::text IS NULL OR (NULLIF(:none, 'all')::text = 'me' AND c.assigned_to = :uid)        OR (NULLIF(:none, 'all')::text = 'none' AND c.assigned_to IS NULL)) ORDER BY s.activity DESC LIMIT :lim;
