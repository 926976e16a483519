-- GET /v1/products/{id}: the user lookup of auth_authenticate (src/user_store.c user_q_get),
-- then src/product_store.c product_q_get.
\set uid random(:buyer_min, :buyer_max)
\set pid random(:product_min, :product_max)
SELECT role, user_json(u) FROM users u WHERE id = :uid;
SELECT product_json(p) FROM products p WHERE id = :pid;
