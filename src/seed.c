#include "seed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "chat_store.h"
#include "log.h"
#include "order_store.h"
#include "product_store.h"
#include "user_store.h"

struct demo_user {
    const char *email, *name;
    auth_role role;
    int64_t id;
};

static struct demo_user demo_users[] = {
    {"buyer1@demo.sellerdesk.dev", "Anna Buyer", ROLE_BUYER, 0},
    {"buyer2@demo.sellerdesk.dev", "Boris Buyer", ROLE_BUYER, 0},
    {"seller1@demo.sellerdesk.dev", "Tea House", ROLE_SELLER, 0},
    {"seller2@demo.sellerdesk.dev", "Gadget Corner", ROLE_SELLER, 0},
    {"support@demo.sellerdesk.dev", "Platform Support", ROLE_SUPPORT, 0},
};
#define NUSERS (sizeof demo_users / sizeof demo_users[0])

static const struct {
    int seller; /* index into demo_users */
    struct product_fields f;
} demo_products[] = {
    {2, {"TEA-001", "Green tea Sencha 100 g", "Loose-leaf Japanese green tea.", "49000", "120"}},
    {2, {"TEA-002", "Black tea Assam 250 g", "Strong breakfast tea.", "59000", "80"}},
    {2, {"CUP-010", "Porcelain cup 300 ml", "White porcelain, dishwasher safe.", "89900", "40"}},
    {3, {"USB-C-1M", "USB-C cable 1 m", "Braided, 60 W.", "39900", "500"}},
    {3, {"PB-10K", "Power bank 10000 mAh", "Two ports, 22.5 W.", "199000", "60"}},
    {3, {"EAR-BT5", "Wireless earbuds", "Bluetooth 5.3, case included.", "349000", "25"}},
};
#define NPRODUCTS (sizeof demo_products / sizeof demo_products[0])

static int seed_user(struct db_conn *conn, const struct sd_config *cfg, struct demo_user *u)
{
    char hash[128];
    auth_role role;
    json_t *out = NULL;
    sd_err e = user_store_credentials(conn, u->email, &u->id, &role, hash);
    if (e == SD_OK)
        return 0;
    if (e != SD_ERR_NOT_FOUND ||
        auth_password_hash(SEED_DEMO_PASSWORD, cfg->pwhash_opslimit, cfg->pwhash_memlimit, hash))
        return -1;
    if (user_store_create(conn, u->email, hash, u->role, u->name, &out) != SD_OK)
        return -1;
    u->id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    return 0;
}

static int64_t seed_product_id(struct db_conn *conn, size_t i)
{
    json_t *out = NULL, *items = NULL;
    char *page = NULL;
    int64_t id = 0, last;
    int more;
    sd_err e = product_store_create(conn, demo_users[demo_products[i].seller].id,
                                    &demo_products[i].f, &out);
    if (e == SD_OK) {
        id = json_integer_value(json_object_get(out, "id"));
        json_decref(out);
        return id;
    }
    if (e != SD_ERR_CONFLICT)
        return -1;
    /* already there: find it among the seller's products */
    if (product_store_list(conn, demo_users[demo_products[i].seller].id, 0, 100, &page, &more,
                           &last) != SD_OK)
        return -1;
    items = json_loads(page, 0, NULL);
    free(page);
    size_t k;
    json_t *p;
    json_array_foreach(items, k, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "offer_id")),
                   demo_products[i].f.offer_id) == 0)
            id = json_integer_value(json_object_get(p, "id"));
    }
    json_decref(items);
    return id;
}

static int seed_order(struct db_conn *conn, int64_t buyer, struct order_line *lines, size_t n,
                      const char *const *moves, size_t nmoves, char posting_number[32])
{
    json_t *order = NULL, *posting = NULL;
    size_t bad;
    if (db_begin(conn) != SD_OK ||
        order_store_create(conn, buyer, lines, n, &order, &bad) != SD_OK ||
        db_commit(conn) != SD_OK) {
        db_rollback(conn);
        return -1;
    }
    json_t *first = json_array_get(json_object_get(order, "postings"), 0);
    const char *pn = json_string_value(json_object_get(first, "posting_number"));
    int64_t seller = json_integer_value(json_object_get(first, "seller_id"));
    int rc = 0;
    snprintf(posting_number, 32, "%s", pn);
    for (size_t i = 0; i < nmoves && rc == 0; i++) {
        auth_role role = strcmp(moves[i], "cancelled") == 0 ? ROLE_BUYER : ROLE_SELLER;
        rc = order_store_set_status(conn, pn, role == ROLE_BUYER ? buyer : seller, role, moves[i],
                                    &posting) == SD_OK
                 ? 0
                 : -1;
        json_decref(posting);
        posting = NULL;
    }
    json_decref(order);
    return rc;
}

/* One message of who (on side) in a chat, in its own transaction. */
static int seed_message(struct db_conn *conn, int64_t chat, int64_t who, auth_role role,
                        const char *text)
{
    struct chat_side_info side;
    json_t *msg = NULL;
    if (db_begin(conn) != SD_OK || chat_store_lock(conn, chat, who, role, &side) != SD_OK) {
        db_rollback(conn);
        return -1;
    }
    struct chat_message_new m = {chat, who, side.side, text, NULL, 0};
    if (chat_store_add_message(conn, &m, &msg) != SD_OK || db_commit(conn) != SD_OK) {
        db_rollback(conn);
        return -1;
    }
    json_decref(msg);
    return 0;
}

/* A conversation to look at after `make run`: a buyer asks about a delivered posting and the
 * seller answers; another buyer has an unanswered question for support. */
static int seed_chats(struct db_conn *conn, const char *posting_number)
{
    struct chat_start about_order = {"buyer_seller", posting_number, 0, NULL, NULL, 0};
    struct chat_start to_support = {"buyer_support", NULL, 0, NULL, "Refund for a damaged box", 0};
    json_t *c1 = NULL, *c2 = NULL;
    enum chat_start_refusal why;
    int existed, rc = -1;
    if (chat_store_start(conn, demo_users[0].id, ROLE_BUYER, &about_order, 72, &c1, &existed,
                         &why) != SD_OK ||
        chat_store_start(conn, demo_users[1].id, ROLE_BUYER, &to_support, 72, &c2, &existed,
                         &why) != SD_OK)
        goto done;
    int64_t id1 = json_integer_value(json_object_get(c1, "id"));
    int64_t id2 = json_integer_value(json_object_get(c2, "id"));
    int64_t seller = json_integer_value(json_object_get(json_object_get(c1, "counterpart"), "id"));
    if (seed_message(conn, id1, demo_users[0].id, ROLE_BUYER,
                     "Hello! The tea arrived, thank you. Is the 250 g pack coming back?") ||
        seed_message(conn, id1, seller, ROLE_SELLER, "Hello, Anna! Yes, it is back next week.") ||
        seed_message(conn, id1, demo_users[0].id, ROLE_BUYER, "Great, I will wait for it.") ||
        seed_message(conn, id2, demo_users[1].id, ROLE_BUYER,
                     "The box of my last order arrived crushed. How do I get a refund?"))
        goto done;
    rc = 0;
done:
    json_decref(c1);
    json_decref(c2);
    return rc;
}

int seed_demo(struct db_conn *conn, const struct sd_config *cfg)
{
    char pn[32], unused[32];
    int64_t pid[NPRODUCTS], last;
    char *existing = NULL;
    int more;
    for (size_t i = 0; i < NUSERS; i++)
        if (seed_user(conn, cfg, &demo_users[i]) != 0) {
            log_error("seed: cannot create %s", demo_users[i].email);
            return -1;
        }
    for (size_t i = 0; i < NPRODUCTS; i++)
        if ((pid[i] = seed_product_id(conn, i)) <= 0) {
            log_error("seed: cannot create product %s", demo_products[i].f.offer_id);
            return -1;
        }
    if (order_store_list(conn, demo_users[0].id, 0, 1, &existing, &more, &last) != SD_OK)
        return -1;
    int have_orders = strcmp(existing, "[]") != 0;
    free(existing);
    if (!have_orders) {
        static const char *const delivered[] = {"delivering", "delivered"};
        static const char *const delivering[] = {"delivering"};
        struct order_line o1[] = {{pid[0], 2}, {pid[3], 1}};
        struct order_line o2[] = {{pid[4], 1}};
        struct order_line o3[] = {{pid[1], 1}};
        struct order_line o4[] = {{pid[5], 1}, {pid[2], 2}};
        if (seed_order(conn, demo_users[0].id, o1, 2, delivered, 2, pn) ||
            seed_order(conn, demo_users[0].id, o2, 1, delivering, 1, unused) ||
            seed_order(conn, demo_users[0].id, o3, 1, NULL, 0, unused) ||
            seed_order(conn, demo_users[1].id, o4, 2, delivered, 2, unused)) {
            log_error("seed: cannot create the demo orders");
            return -1;
        }
        if (seed_chats(conn, pn) != 0) {
            log_error("seed: cannot create the demo chats");
            return -1;
        }
    }
    printf("Demo accounts (password for all: %s):\n", SEED_DEMO_PASSWORD);
    for (size_t i = 0; i < NUSERS; i++)
        printf("  %-8s %-30s id %lld\n", auth_role_name(demo_users[i].role), demo_users[i].email,
               (long long)demo_users[i].id);
    return 0;
}
