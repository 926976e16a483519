#ifndef SD_TEST_PROMOTION_FIXTURES_H
#define SD_TEST_PROMOTION_FIXTURES_H

/* Helpers shared by the promotion suites: promotions made by the demo support account,
 * sellers with products, adds and orders, all through the API. */
#include "client.h"

#define PROMO_SUPPORT_EMAIL "support@demo.sellerdesk.dev"

/* now + seconds as the API writes timestamps */
void promo_time(int seconds, char out[32]);

/* POST /v1/promotions as token with body members (stolen) over the defaults: "Test sale",
 * discount, starting now, ending in 10 days, discounts 5..50, audience all. */
struct api_resp *promo_post(const char *token, json_t *members);
/* The same asserting 201: the id. */
int64_t promo_create(const char *support_token, json_t *members);

/* A seller with n (at most 8) products priced 10000 kopecks, stock 100 (stock[i] when given). */
struct promo_shop {
    struct api_user seller;
    int64_t product[8];
    int n;
};
void promo_shop_open(struct promo_shop *s, int n, const int *stock);

/* POST /v1/promotions/{id}/products with the products array (stolen). */
struct api_resp *promo_add(const char *token, int64_t promotion, json_t *products);
/* {product_id, action_price} or {product_id, discount_percent} items */
json_t *promo_item_price(int64_t product, json_int_t price, json_int_t quantity);
json_t *promo_item_discount(int64_t product, double discount, json_int_t quantity);
/* The rejection of product in an add/remove answer (borrowed), or NULL. */
json_t *promo_rejection(const struct api_resp *r, int64_t product);
/* Asserts the answer rejected product for reason (and limit, when limit >= 0). */
#define assert_rejected(r, product, reason, limit)                                                 \
    promo_assert_rejected(r, product, reason, limit, __FILE__, __LINE__)
void promo_assert_rejected(const struct api_resp *r, int64_t product, const char *reason,
                           json_int_t limit, const char *file, int line);
/* GET /v1/promotions/{id}/products as token: every item (caller decrefs). */
json_t *promo_products(const char *token, int64_t promotion);
/* The participation of product (borrowed from list), or NULL. */
json_t *promo_find(const json_t *list, int64_t product);
/* Waits until the promotion is frozen (its freeze date passed), up to 10 s. */
void promo_wait_frozen(const char *token, int64_t promotion);

#endif
