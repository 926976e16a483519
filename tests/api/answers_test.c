/* API tests of sellers' answers (POST/GET /v1/questions/{id}/answers, DELETE /v1/answers/{id}).
 * The TCases other than "needs_questions" run on their own; "needs_questions" creates
 * questions through POST /v1/products/{id}/questions, the other half of issue 6. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "workflow_fixtures.h"

#define NO_SUCH_ID 9000000000000000LL

/* ---------------------------------------------------------------------------------------------
 * Without questions: roles, unknown ids, bad input and queries
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_post_refuses_buyer_and_support)
{
    struct api_user buyer, support;
    api_new_user(&buyer, "buyer");
    api_demo_user(&support, SUPPORT_EMAIL);
    struct api_resp *r = qa_answer_post(buyer.token, 1, "A fine answer about the product");
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = qa_answer_post(support.token, 1, "A fine answer about the product");
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
}
END_TEST

START_TEST(test_requires_authentication)
{
    struct api_resp *r = qa_answer_post(NULL, 1, "An answer");
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    r = api_get("/v1/questions/1/answers", NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    r = qa_delete_answer(NULL, 1);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
}
END_TEST

START_TEST(test_unknown_question_not_found)
{
    struct api_user seller, buyer;
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    struct api_resp *r = qa_answer_post(seller.token, NO_SUCH_ID, "An answer about the product");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_post("/v1/questions/abc/answers", seller.token, "{\"text\": \"An answer\"}");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    long status;
    json_decref(qa_answers(seller.token, NO_SUCH_ID, &status));
    ck_assert_int_eq(status, 404);
    json_decref(qa_answers(buyer.token, NO_SUCH_ID, &status));
    ck_assert_int_eq(status, 404);
    r = api_get("/v1/questions/0/answers", buyer.token);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}
END_TEST

static const struct {
    const char *body, *field, *code;
} bad_answer_cases[] = {
    {"{}", "text", "required"},
    {"{\"text\": \"a\"}", "text", "too_short"},
    {"{\"text\": \"   \"}", "text", "too_short"},
    {"{\"text\": 12}", "text", "wrong_type"},
    {"{\"text\": \"Fine answer\", \"extra\": 1}", "extra", "unknown_field"},
};

/* validation comes before the question lookup: the shape is checked on any id */
START_TEST(test_post_rejects_bad_field)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct api_resp *r =
        api_post("/v1/questions/1/answers", seller.token, bad_answer_cases[_i].body);
    assert_field_error(r, bad_answer_cases[_i].field, bad_answer_cases[_i].code);
    api_free(r);
}
END_TEST

START_TEST(test_post_rejects_too_long_and_malformed)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    char *text = api_repeat("ы", 3001);
    struct api_resp *r = qa_answer_post(seller.token, 1, text);
    assert_field_error(r, "text", "too_long");
    api_free(r);
    free(text);
    r = api_post("/v1/questions/1/answers", seller.token, "{\"text\": ");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = api_request("POST", "/v1/questions/1/answers", seller.token, "text=hi", "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
}
END_TEST

START_TEST(test_list_rejects_bad_query)
{
    static const char *const queries[][3] = {{"?limit=0", "limit", "out_of_range"},
                                             {"?limit=101", "limit", "out_of_range"},
                                             {"?cursor=xyz", "cursor", "invalid_cursor"},
                                             {"?status=new", "status", "unknown_parameter"}};
    struct api_user buyer;
    api_new_user(&buyer, "buyer");
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/questions/1/answers%s", queries[i][0]);
        struct api_resp *r = api_get(path, buyer.token);
        assert_field_error(r, queries[i][1], queries[i][2]);
        api_free(r);
    }
}
END_TEST

START_TEST(test_delete_unknown_answer_not_found)
{
    struct api_user seller, buyer;
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    struct api_resp *r = qa_delete_answer(seller.token, NO_SUCH_ID);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = qa_delete_answer(buyer.token, NO_SUCH_ID);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_request("DELETE", "/v1/answers/x1", seller.token, NULL, NULL, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * needs_questions: run after the questions branch is merged
 * ------------------------------------------------------------------------------------------- */

/* An answer as its seller and support see it: exactly these members. */
static void assert_answer_shape(const json_t *a)
{
    char *dump = json_dumps(a, JSON_COMPACT);
    ck_assert_msg(json_object_size(a) == 11, "expected 11 members: %s", dump);
    ck_assert_msg(api_jstr(a, "view") && strcmp(api_jstr(a, "view"), "full") == 0, "%s", dump);
    ck_assert_msg(api_jint(a, "id") > 0 && api_jint(a, "question_id") > 0, "%s", dump);
    ck_assert_msg(api_jstr(a, "text") && api_jstr(a, "moderation_status"), "%s", dump);
    ck_assert_msg(json_object_get(a, "moderation_reason") != NULL, "%s", dump);
    ck_assert_msg(json_is_array(json_object_get(a, "flags")), "%s", dump);
    ck_assert_msg(json_is_boolean(json_object_get(a, "published")), "%s", dump);
    ck_assert_msg(json_object_get(a, "deleted_at") != NULL, "%s", dump);
    assert_timestamp(api_jstr(a, "moderation_due_at"));
    assert_timestamp(api_jstr(a, "created_at"));
    free(dump);
}

START_TEST(test_answer_waits_for_moderation)
{
    struct qa_world w;
    qa_world_init(&w);
    int64_t q = qa_ask(w.buyer.token, w.product, "Does it fit a 15 inch laptop?");
    json_t *a = qa_answer(w.seller.token, q, "Yes, laptops up to 16 inches fit inside.");
    assert_answer_shape(a);
    ck_assert_str_eq(api_jstr(a, "moderation_status"), "pending");
    ck_assert(json_is_null(json_object_get(a, "moderation_reason")));
    ck_assert(json_is_false(json_object_get(a, "published")));
    ck_assert(json_is_null(json_object_get(a, "deleted_at")));
    ck_assert_uint_eq(json_array_size(json_object_get(a, "flags")), 0);
    ck_assert_int_eq(api_jint(a, "question_id"), q);
    /* 7 business days hold at least one weekend: 9 calendar days or more */
    ck_assert_str_gt(api_jstr(a, "moderation_due_at"), api_jstr(a, "created_at"));
    int64_t id = api_jint(a, "id");
    long status;
    /* the seller and support see it; the buyer does not, yet */
    json_t *l = qa_answers(w.seller.token, q, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_ptr_nonnull(qa_find_id(l, id));
    json_decref(l);
    l = qa_answers(w.support.token, q, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_ptr_nonnull(qa_find_id(l, id));
    json_decref(l);
    l = qa_answers(w.buyer.token, q, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_uint_eq(json_array_size(l), 0);
    json_decref(l);
    /* it waits in the queue, with its question */
    json_t *item = qa_queue_find(w.support.token, "kind=answer", "answer", id);
    ck_assert_ptr_nonnull(item);
    ck_assert_int_eq(api_jint(json_object_get(item, "question"), "id"), q);
    ck_assert_str_eq(api_jstr(json_object_get(item, "author"), "role"), "seller");
    ck_assert_int_eq(api_jint(json_object_get(item, "author"), "id"), w.seller.id);
    ck_assert_int_eq(api_jint(json_object_get(item, "product"), "id"), w.product);
    ck_assert_str_eq(api_jstr(item, "due_at"), api_jstr(a, "moderation_due_at"));
    ck_assert(json_is_false(json_object_get(item, "overdue")));
    json_decref(item);
    json_decref(a);
}
END_TEST

START_TEST(test_soft_signals_are_stored_as_flags)
{
    struct qa_world w;
    qa_world_init(&w);
    int64_t q = qa_ask(w.buyer.token, w.product, "Is the colour the same as on the photo?");
    json_t *a = qa_answer(w.seller.token, q, "Yes, exactly the same colour." FLAGGED_SUFFIX);
    json_t *flags = json_object_get(a, "flags");
    ck_assert_uint_ge(json_array_size(flags), 1);
    ck_assert_str_eq(api_jstr(json_array_get(flags, 0), "field"), "text");
    ck_assert_str_eq(api_jstr(json_array_get(flags, 0), "rule"), "punctuation");
    json_t *item =
        qa_queue_find(w.support.token, "kind=answer&flagged=true", "answer", api_jint(a, "id"));
    ck_assert_ptr_nonnull(item);
    json_decref(item);
    ck_assert(
        !qa_queued(w.support.token, "kind=answer&flagged=false", "answer", api_jint(a, "id")));
    json_decref(a);
}
END_TEST

START_TEST(test_bad_input_writes_nothing)
{
    struct qa_world w;
    qa_world_init(&w);
    int64_t q = qa_ask(w.buyer.token, w.product, "How long is the warranty?");
    for (int i = 0; i < N_CASES(bad_answer_cases); i++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/questions/%lld/answers", (long long)q);
        struct api_resp *r = api_post(path, w.seller.token, bad_answer_cases[i].body);
        assert_field_error(r, bad_answer_cases[i].field, bad_answer_cases[i].code);
        api_free(r);
    }
    struct api_resp *r = qa_answer_post(w.seller.token, q, "Call me on 89161234567 for details");
    ck_assert_problem(r, 422, "content_violation");
    api_free(r);
    long status;
    json_t *l = qa_answers(w.seller.token, q, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_uint_eq(json_array_size(l), 0);
    json_decref(l);
}
END_TEST

START_TEST(test_other_sellers_question_not_found)
{
    struct qa_world w;
    struct api_user other;
    qa_world_init(&w);
    api_new_user(&other, "seller");
    int64_t q = qa_ask(w.buyer.token, w.product, "Is it waterproof?");
    struct api_resp *r = qa_answer_post(other.token, q, "Yes, it is waterproof.");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    /* even a refused text: someone else's question is 404 first */
    r = qa_answer_post(other.token, q, "Call 89161234567");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    long status;
    json_t *l = qa_answers(w.seller.token, q, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_uint_eq(json_array_size(l), 0);
    json_decref(l);
    /* nor may another seller read its answers, pending or published; another buyer reads
     * the published ones only, as on the product page */
    json_t *a = qa_answer(w.seller.token, q, "Yes, it is waterproof to 1 m.");
    int64_t answer = api_jint(a, "id");
    json_decref(a);
    struct api_user other_buyer;
    api_new_user(&other_buyer, "buyer");
    json_decref(qa_answers(other.token, q, &status));
    ck_assert_int_eq(status, 404);
    l = qa_answers(other_buyer.token, q, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_uint_eq(json_array_size(l), 0); /* still pending */
    json_decref(l);
    qa_decide_ok(w.support.token, "answer", answer, "approve", NULL);
    json_decref(qa_answers(other.token, q, &status));
    ck_assert_int_eq(status, 404);
    l = qa_answers(other_buyer.token, q, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_uint_eq(json_array_size(l), 1);
    ck_assert_int_eq(api_jint(json_array_get(l, 0), "id"), answer);
    json_decref(l);
}
END_TEST

START_TEST(test_pending_question_is_invisible)
{
    struct qa_world w;
    struct api_user other_buyer;
    qa_world_init(&w);
    api_new_user(&other_buyer, "buyer");
    int64_t q = qa_ask(w.buyer.token, w.product, "Is it really new?" FLAGGED_SUFFIX);
    /* the seller cannot see nor answer it until moderation lets it through */
    struct api_resp *r = qa_answer_post(w.seller.token, q, "Yes, brand new.");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    long status;
    json_decref(qa_answers(w.seller.token, q, &status));
    ck_assert_int_eq(status, 404);
    json_decref(qa_answers(other_buyer.token, q, &status));
    ck_assert_int_eq(status, 404);
    json_decref(qa_answers(w.buyer.token, q, &status));
    ck_assert_int_eq(status, 200);
    json_decref(qa_answers(w.support.token, q, &status));
    ck_assert_int_eq(status, 200);
    qa_decide_ok(w.support.token, "question", q, "approve", NULL);
    json_t *a = qa_answer(w.seller.token, q, "Yes, brand new.");
    json_decref(a);
}
END_TEST

START_TEST(test_withdraw_pending_answer)
{
    struct qa_world w;
    struct api_user other;
    qa_world_init(&w);
    api_new_user(&other, "seller");
    int64_t q = qa_ask(w.buyer.token, w.product, "What is the battery life?");
    json_t *a = qa_answer(w.seller.token, q, "About ten hours of video.");
    int64_t id = api_jint(a, "id");
    json_decref(a);
    /* not the author: 404 for everyone else, support included */
    struct api_resp *r = qa_delete_answer(other.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = qa_delete_answer(w.buyer.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = qa_delete_answer(w.support.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = qa_delete_answer(w.seller.token, id);
    ck_assert_status(r, 204);
    api_free(r);
    r = qa_delete_answer(w.seller.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    /* the seller still sees it, withdrawn; it left the queue and cannot be decided */
    long status;
    json_t *l = qa_answers(w.seller.token, q, &status);
    json_t *mine = qa_find_id(l, id);
    ck_assert_ptr_nonnull(mine);
    assert_timestamp(api_jstr(mine, "deleted_at"));
    ck_assert(json_is_false(json_object_get(mine, "published")));
    json_decref(l);
    ck_assert(!qa_queued(w.support.token, "kind=answer", "answer", id));
    r = qa_decide(w.support.token, "answer", id, "approve", NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}
END_TEST

START_TEST(test_unpublish_turns_question_back_to_viewed)
{
    struct qa_world w;
    qa_world_init(&w);
    int64_t q = qa_ask(w.buyer.token, w.product, "Can I wash it at 60 degrees?");
    json_t *a1 = qa_answer(w.seller.token, q, "Yes, 60 degrees is fine.");
    json_t *a2 = qa_answer(w.seller.token, q, "Use a gentle programme, please.");
    int64_t id1 = api_jint(a1, "id"), id2 = api_jint(a2, "id");
    json_decref(a1);
    json_decref(a2);
    qa_decide_ok(w.support.token, "answer", id1, "approve", NULL);
    qa_decide_ok(w.support.token, "answer", id2, "approve", "Informative");
    char *s = qa_question_status(w.seller.token, q);
    ck_assert_str_eq(s, "processed");
    free(s);
    long status;
    json_t *l = qa_answers(w.buyer.token, q, &status);
    ck_assert_uint_eq(json_array_size(l), 2);
    /* the public shape has no moderation details; "view" tells it from the full one */
    ck_assert_uint_eq(json_object_size(json_array_get(l, 0)), 5);
    ck_assert_str_eq(api_jstr(json_array_get(l, 0), "view"), "public");
    json_decref(l);
    struct api_resp *r = qa_delete_answer(w.seller.token, id1);
    ck_assert_status(r, 204);
    api_free(r);
    s = qa_question_status(w.seller.token, q);
    ck_assert_str_eq(s, "processed");
    free(s);
    r = qa_delete_answer(w.seller.token, id2);
    ck_assert_status(r, 204);
    api_free(r);
    s = qa_question_status(w.seller.token, q);
    ck_assert_str_eq(s, "viewed");
    free(s);
    l = qa_answers(w.buyer.token, q, &status);
    ck_assert_uint_eq(json_array_size(l), 0);
    json_decref(l);
    l = qa_answers(w.seller.token, q, &status);
    ck_assert_uint_eq(json_array_size(l), 2);
    json_decref(l);
}
END_TEST

Suite *answers_suite(void)
{
    Suite *s = suite_create("answers");
    TCase *alone = api_tcase("roles and input");
    tcase_add_test(alone, test_post_refuses_buyer_and_support);
    tcase_add_test(alone, test_requires_authentication);
    tcase_add_test(alone, test_unknown_question_not_found);
    tcase_add_loop_test(alone, test_post_rejects_bad_field, 0, N_CASES(bad_answer_cases));
    tcase_add_test(alone, test_post_rejects_too_long_and_malformed);
    tcase_add_test(alone, test_list_rejects_bad_query);
    tcase_add_test(alone, test_delete_unknown_answer_not_found);
    suite_add_tcase(s, alone);

    /* runs by default; CK_EXCLUDE_TAGS=needs_questions leaves it out on a branch without the
     * questions endpoints */
    TCase *nq = api_tcase("needs_questions");
    tcase_set_tags(nq, "needs_questions");
    tcase_add_test(nq, test_answer_waits_for_moderation);
    tcase_add_test(nq, test_soft_signals_are_stored_as_flags);
    tcase_add_test(nq, test_bad_input_writes_nothing);
    tcase_add_test(nq, test_other_sellers_question_not_found);
    tcase_add_test(nq, test_pending_question_is_invisible);
    tcase_add_test(nq, test_withdraw_pending_answer);
    tcase_add_test(nq, test_unpublish_turns_question_back_to_viewed);
    suite_add_tcase(s, nq);
    return s;
}
