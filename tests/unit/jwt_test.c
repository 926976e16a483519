#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jwt.h>
#include <sodium.h>

#include "../../src/auth.h"
#include "../../src/token_cache.h"
#include "unit.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define NOW    ((time_t)1800000000)

static struct sd_config cfg;

static void setup(void)
{
    char err[256];
    config_defaults(&cfg);
    free(cfg.jwt_secret);
    cfg.jwt_secret = strdup(SECRET);
    ck_assert_int_eq(config_validate(&cfg, 1, err, sizeof err), 0);
}

static void teardown(void)
{
    config_free(&cfg);
}

/* A token with exactly the given claims, signed with alg and key. NULL claim = omitted. */
struct claims {
    const char *sub, *role, *iss;
    long iat, exp, nbf; /* 0 = omitted */
};

static char *forge(jwt_alg_t alg, const char *key, const struct claims *c)
{
    jwt_t *jwt;
    ck_assert_int_eq(jwt_new(&jwt), 0);
    if (c->sub)
        jwt_add_grant(jwt, "sub", c->sub);
    if (c->role)
        jwt_add_grant(jwt, "role", c->role);
    if (c->iss)
        jwt_add_grant(jwt, "iss", c->iss);
    jwt_add_grant(jwt, "jti", "test-jti");
    if (c->iat)
        jwt_add_grant_int(jwt, "iat", c->iat);
    if (c->exp)
        jwt_add_grant_int(jwt, "exp", c->exp);
    if (c->nbf)
        jwt_add_grant_int(jwt, "nbf", c->nbf);
    ck_assert_int_eq(jwt_set_alg(jwt, alg, (const unsigned char *)key, (int)strlen(key)), 0);
    char *s = jwt_encode_str(jwt);
    jwt_free(jwt);
    return s;
}

static const struct claims good = {"42", "seller", "sellerdesk", NOW - 10, NOW + 600, 0};

static auth_token_status verify_with(const struct sd_config *c, const char *token)
{
    struct auth_claims out;
    return auth_jwt_verify(c, token, NOW, &out);
}

static auth_token_status verify(const char *token)
{
    return verify_with(&cfg, token);
}

#define ck_assert_status_is(token, expected)                                                       \
    do {                                                                                           \
        auth_token_status got_ = verify(token);                                                    \
        ck_assert_msg(got_ == (expected), "expected '%s', got '%s'",                               \
                      auth_token_status_text(expected), auth_token_status_text(got_));             \
    } while (0)

START_TEST(issued_token_verifies)
{
    struct auth_claims out;
    char *t = auth_jwt_issue(&cfg, 42, ROLE_BUYER, NOW);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(auth_jwt_verify(&cfg, t, NOW + 5, &out), AUTH_TOKEN_OK);
    ck_assert_int_eq(out.user_id, 42);
    ck_assert_int_eq(out.role, ROLE_BUYER);
    ck_assert_int_eq(out.exp, NOW + 900);
    ck_assert_uint_eq(strlen(out.jti), 32);
    /* and it expires with the configured lifetime (plus 30 s of clock leeway) */
    ck_assert_int_eq(auth_jwt_verify(&cfg, t, NOW + 931, &out), AUTH_TOKEN_EXPIRED);
    free(t);
}
END_TEST

START_TEST(forged_good_token_verifies)
{
    char *t = forge(JWT_ALG_HS256, SECRET, &good);
    ck_assert_status_is(t, AUTH_TOKEN_OK);
    free(t);
}
END_TEST

START_TEST(tampered_signature)
{
    char *t = forge(JWT_ALG_HS256, SECRET, &good);
    size_t n = strlen(t);
    t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
    ck_assert_status_is(t, AUTH_TOKEN_BAD_SIGNATURE);
    free(t);
    t = forge(JWT_ALG_HS256, "another-secret-another-secret-xx", &good);
    ck_assert_status_is(t, AUTH_TOKEN_BAD_SIGNATURE);
    free(t);
}
END_TEST

START_TEST(tampered_payload)
{
    /* swap in a payload claiming another user, keep the signature */
    char *a = forge(JWT_ALG_HS256, SECRET, &good);
    struct claims other = good;
    other.sub = "1";
    char *b = forge(JWT_ALG_HS256, SECRET, &other);
    char *a_dot = strchr(a, '.'), *b_dot = strchr(b, '.');
    char *a_sig = strrchr(a, '.');
    char mixed[2048];
    snprintf(mixed, sizeof mixed, "%.*s%.*s%s", (int)(a_dot - a), a, (int)(strrchr(b, '.') - b_dot),
             b_dot, a_sig);
    ck_assert_status_is(mixed, AUTH_TOKEN_BAD_SIGNATURE);
    free(a);
    free(b);
}
END_TEST

START_TEST(alg_none_refused)
{
    char header[128], payload[256], token[512];
    const char *h = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    const char *p = "{\"sub\":\"42\",\"role\":\"support\",\"iss\":\"sellerdesk\",\"jti\":\"x\","
                    "\"iat\":1799999990,\"exp\":1800000600}";
    sodium_bin2base64(header, sizeof header, (const unsigned char *)h, strlen(h),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_bin2base64(payload, sizeof payload, (const unsigned char *)p, strlen(p),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(token, sizeof token, "%s.%s.", header, payload);
    ck_assert_status_is(token, AUTH_TOKEN_BAD_ALG);
}
END_TEST

START_TEST(other_algorithm_same_secret)
{
    char *t = forge(JWT_ALG_HS512, SECRET, &good);
    ck_assert_status_is(t, AUTH_TOKEN_BAD_ALG);
    free(t);
    t = forge(JWT_ALG_HS384, SECRET, &good);
    ck_assert_status_is(t, AUTH_TOKEN_BAD_ALG);
    free(t);
}
END_TEST

START_TEST(time_claims)
{
    struct claims c = good;
    c.exp = 1; /* 1970 */
    char *t = forge(JWT_ALG_HS256, SECRET, &c);
    ck_assert_status_is(t, AUTH_TOKEN_EXPIRED);
    free(t);
    c = good;
    c.exp = NOW - 120;
    t = forge(JWT_ALG_HS256, SECRET, &c);
    ck_assert_status_is(t, AUTH_TOKEN_EXPIRED);
    free(t);
    c = good;
    c.nbf = NOW + 3600;
    t = forge(JWT_ALG_HS256, SECRET, &c);
    ck_assert_status_is(t, AUTH_TOKEN_NOT_YET_VALID);
    free(t);
    c = good;
    c.iat = NOW + 3600;
    t = forge(JWT_ALG_HS256, SECRET, &c);
    ck_assert_status_is(t, AUTH_TOKEN_NOT_YET_VALID);
    free(t);
    c = good;
    c.exp = 0; /* missing */
    t = forge(JWT_ALG_HS256, SECRET, &c);
    ck_assert_status_is(t, AUTH_TOKEN_BAD_CLAIMS);
    free(t);
}
END_TEST

START_TEST(identity_claims)
{
    static const struct {
        struct claims c;
        auth_token_status expect;
    } cases[] = {
        {{"42", "seller", "someone-else", NOW - 10, NOW + 600, 0}, AUTH_TOKEN_BAD_ISSUER},
        {{"42", "seller", NULL, NOW - 10, NOW + 600, 0}, AUTH_TOKEN_BAD_ISSUER},
        {{"42", "admin", "sellerdesk", NOW - 10, NOW + 600, 0}, AUTH_TOKEN_BAD_CLAIMS},
        {{"42", NULL, "sellerdesk", NOW - 10, NOW + 600, 0}, AUTH_TOKEN_BAD_CLAIMS},
        {{"abc", "seller", "sellerdesk", NOW - 10, NOW + 600, 0}, AUTH_TOKEN_BAD_CLAIMS},
        {{"-5", "seller", "sellerdesk", NOW - 10, NOW + 600, 0}, AUTH_TOKEN_BAD_CLAIMS},
        {{NULL, "seller", "sellerdesk", NOW - 10, NOW + 600, 0}, AUTH_TOKEN_BAD_CLAIMS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = forge(JWT_ALG_HS256, SECRET, &cases[i].c);
        ck_assert_status_is(t, cases[i].expect);
        free(t);
    }
}
END_TEST

START_TEST(malformed_tokens)
{
    static const char *bad[] = {
        "", "abc", "a.b", "a.b.c", "!!!.???.###", "eyJhbGciOiJIUzI1NiJ9", "eyJ.eyJ.sig"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        auth_token_status st = verify(bad[i]);
        ck_assert_msg(st == AUTH_TOKEN_MALFORMED || st == AUTH_TOKEN_BAD_SIGNATURE,
                      "'%s' gave '%s'", bad[i], auth_token_status_text(st));
    }
    char huge[6000];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    huge[10] = '.';
    ck_assert_status_is(huge, AUTH_TOKEN_MALFORMED);
}
END_TEST

START_TEST(audience_when_configured)
{
    char *t = forge(JWT_ALG_HS256, SECRET, &good); /* no aud */
    cfg.jwt_audience = strdup("mobile");
    ck_assert_status_is(t, AUTH_TOKEN_BAD_AUDIENCE);
    free(t);
    t = auth_jwt_issue(&cfg, 7, ROLE_SUPPORT, NOW);
    ck_assert_status_is(t, AUTH_TOKEN_OK);
    free(t);
}
END_TEST

START_TEST(empty_key_never_verifies)
{
    char *t = forge(JWT_ALG_HS256, SECRET, &good);
    size_t saved = cfg.jwt_verify_key_len;
    cfg.jwt_verify_key_len = 0;
    ck_assert_status_is(t, AUTH_TOKEN_BAD_SIGNATURE);
    cfg.jwt_verify_key_len = saved;
    free(t);
}
END_TEST

/* Asymmetric algorithms, with the test-only keys in tests/unit/keys/ (run from the repo root). */
static int load_asymmetric(struct sd_config *c, config_jwt_alg alg, const char *name)
{
    char err[256], priv[128], pub[128];
    config_defaults(c);
    c->jwt_alg = alg;
    snprintf(priv, sizeof priv, "tests/unit/keys/%s-private.pem", name);
    snprintf(pub, sizeof pub, "tests/unit/keys/%s-public.pem", name);
    c->jwt_private_key_file = strdup(priv);
    c->jwt_public_key_file = strdup(pub);
    c->cursor_secret = strdup(SECRET);
    int rc = config_validate(c, 1, err, sizeof err);
    ck_assert_msg(rc == 0, "config: %s", err);
    return rc;
}

START_TEST(asymmetric_round_trip)
{
    static const struct {
        config_jwt_alg alg;
        const char *keys;
    } algs[] = {{JWT_RS256, "rs256"}, {JWT_ES256, "es256"}};
    for (size_t i = 0; i < 2; i++) {
        struct sd_config c;
        struct auth_claims out;
        load_asymmetric(&c, algs[i].alg, algs[i].keys);
        char *t = auth_jwt_issue(&c, 9, ROLE_SELLER, NOW);
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(auth_jwt_verify(&c, t, NOW, &out), AUTH_TOKEN_OK);
        ck_assert_int_eq(out.user_id, 9);
        /* a token of the other configuration is refused by algorithm */
        ck_assert_int_eq(auth_jwt_verify(&cfg, t, NOW, &out), AUTH_TOKEN_BAD_ALG);
        free(t);
        config_free(&c);
    }
}
END_TEST

START_TEST(hs256_with_public_key_refused)
{
    /* key confusion: an attacker signs HS256 with the (public) RSA key as the HMAC secret */
    struct sd_config c;
    load_asymmetric(&c, JWT_RS256, "rs256");
    char *t = forge(JWT_ALG_HS256, (const char *)c.jwt_verify_key, &good);
    ck_assert_int_eq(verify_with(&c, t), AUTH_TOKEN_BAD_ALG);
    free(t);
    config_free(&c);
}
END_TEST

/* The cache of verified tokens answers as the full check does, at every time: a token it
 * holds expires on time, one not yet valid becomes valid, and a token changed in one byte or
 * signed with another key is checked in full (and refused). */
START_TEST(token_cache_answers_as_the_full_check)
{
    static const struct claims later = {"43",     "buyer",   "sellerdesk",
                                        NOW - 10, NOW + 600, NOW + 120};
    char *tok = forge(JWT_ALG_HS256, SECRET, &good);
    char *early = forge(JWT_ALG_HS256, SECRET, &later);
    char *forged = forge(JWT_ALG_HS256, "another-secret-another-secret-00", &good);
    const time_t times[] = {NOW, NOW + 60, NOW + 629, NOW + 630, NOW + 10000, NOW};
    struct auth_claims a, b;
    uint64_t hits0, misses0, hits1, misses1;
    token_cache_stats(&hits0, &misses0);
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
            const char *toks[] = {tok, early, forged};
            for (size_t k = 0; k < 3; k++) {
                auth_token_status full = auth_jwt_verify(&cfg, toks[k], times[i], &a);
                auth_token_status cached = token_cache_verify(&cfg, toks[k], times[i], &b, 1);
                ck_assert_msg(full == cached, "token %zu at +%ld: full %s, cached %s", k,
                              (long)(times[i] - NOW), auth_token_status_text(full),
                              auth_token_status_text(cached));
                if (full == AUTH_TOKEN_OK)
                    ck_assert_msg(a.user_id == b.user_id && a.role == b.role && a.exp == b.exp,
                                  "claims differ: %lld/%lld", (long long)a.user_id,
                                  (long long)b.user_id);
            }
        }
    /* one byte changed in the signature: not the cached token, refused */
    tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
    ck_assert_int_ne(token_cache_verify(&cfg, tok, NOW, &b, 1), AUTH_TOKEN_OK);
    token_cache_stats(&hits1, &misses1);
    ck_assert_msg(hits1 > hits0 && misses1 > misses0, "hits %llu -> %llu, misses %llu -> %llu",
                  (unsigned long long)hits0, (unsigned long long)hits1, (unsigned long long)misses0,
                  (unsigned long long)misses1);
    token_cache_clear();
    free(tok);
    free(early);
    free(forged);
}
END_TEST

Suite *jwt_suite(void)
{
    Suite *s = suite_create("jwt");
    TCase *tc = tcase_create("verify");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, issued_token_verifies);
    tcase_add_test(tc, forged_good_token_verifies);
    tcase_add_test(tc, tampered_signature);
    tcase_add_test(tc, tampered_payload);
    tcase_add_test(tc, alg_none_refused);
    tcase_add_test(tc, other_algorithm_same_secret);
    tcase_add_test(tc, time_claims);
    tcase_add_test(tc, identity_claims);
    tcase_add_test(tc, malformed_tokens);
    tcase_add_test(tc, audience_when_configured);
    tcase_add_test(tc, empty_key_never_verifies);
    tcase_add_test(tc, asymmetric_round_trip);
    tcase_add_test(tc, hs256_with_public_key_refused);
    tcase_add_test(tc, token_cache_answers_as_the_full_check);
    suite_add_tcase(s, tc);
    return s;
}
