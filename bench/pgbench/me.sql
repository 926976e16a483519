-- GET /v1/me: auth_authenticate's user lookup (src/user_store.c user_q_get); me_get answers
-- from it without another query.
\set uid random(:buyer_min, :buyer_max)
SELECT role, user_json(u) FROM users u WHERE id = :uid;
