-- GET /v1/chats/{id}/messages[?before=] (default limit 50): auth_authenticate's user lookup
-- (src/user_store.c user_q_get; the server takes it from its account cache), then
-- src/chat_store.c chat_q_messages_before (the page only for a viewer with a side in the chat:
-- the access check inside), verbatim, with the handler's parameters: chat, before (0 = the
-- newest page), limit + 1 (51), user, role name.
-- :chat and :uid come from a preamble that bench/chats.sh generates from its pairs file (a
-- \set CASE over the pairs, as wrk picks a random line); :role is the role name the server
-- passes (the statement only compares it with 'support', so buyer and seller plan alike).
SELECT role, user_json(u) FROM users u WHERE id = :uid;
WITH sides AS (SELECT side, last_read_id, user_id FROM chat_sides WHERE chat_id = :chat) SELECT m.id, chat_message_json(m, (SELECT last_read_id FROM sides                                    WHERE side <> m.side), u.display_name)::text FROM chat_messages m JOIN users u ON u.id = m.author_id WHERE EXISTS (SELECT 1 FROM sides s WHERE s.user_id = :uid               OR (:role = 'support' AND s.side = 'support')) AND m.chat_id = :chat AND m.id < coalesce(nullif(:before::bigint, 0), 9223372036854775807) ORDER BY m.chat_id DESC, m.id DESC LIMIT :lim;
