/* API tests of review comment threads and complaints against the real server: the seller's
 * official answer (policy manual: support approves it) and what it does to the review,
 * buyers' comments (policy auto) and replies, who sees pending comments, deleting, the
 * sellers' complaints (support upholds: the review is removed; or dismisses), and the
 * moderation queue serving the review kinds beside the question kinds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review_fixtures.h"

/* A delivered purchase with a published review (rating 2, a text) and another buyer. */
struct thread {
    struct purchase p;
    struct api_user other;
    int64_t review;
};

static void thread_open(struct thread *t)
{
    rv_purchase(&t->p, "Milk oolong", 1, "delivered");
    api_new_user_named(&t->other, "buyer", "Other Buyer");
    t->review = rv_write_id(t->p.buyer.token, t->p.pn, t->p.product[0], 2,
                            json_pack("{s:s}", "text", "Too much flavouring"));
}

static char *review_status(const char *token, int64_t review)
{
    struct api_resp *r = rv_get(token, review);
    ck_assert_status(r, 200);
    char *s = strdup(api_str(r, "status"));
    api_free(r);
    return s;
}

#define assert_review_status(token, review, want)                                                  \
    do {                                                                                           \
        char *got_ = review_status(token, review);                                                 \
        ck_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
    } while (0)

static struct api_resp *delete_comment(const char *token, int64_t id)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/review-comments/%lld", (long long)id);
    return api_request("DELETE", path, token, NULL, NULL, NULL);
}

static size_t comment_count(const char *token, int64_t review)
{
    long status;
    json_t *items = rv_comments(token, review, &status);
    ck_assert_int_eq(status, 200);
    size_t n = json_array_size(items);
    json_decref(items);
    return n;
}

/* ---------------------------------------------------------------------------------------------
 * The seller's official answer
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_official_answer_waits_then_processes_the_review)
{
    struct thread t;
    thread_open(&t);
    json_t *answer = rv_comment(t.p.seller.token, t.review, "We have changed the recipe.", 0);
    int64_t id = api_jint(answer, "id");
    ck_assert_msg(json_is_true(json_object_get(answer, "is_official")), "is_official");
    ck_assert_msg(json_is_true(json_object_get(answer, "is_owner")), "is_owner");
    ck_assert_str_eq(api_jstr(json_object_get(answer, "moderation"), "status"), "pending");
    json_decref(answer);
    /* waiting: the seller sees it, the author and others do not; nothing changed yet */
    ck_assert_int_eq(comment_count(t.p.seller.token, t.review), 1);
    ck_assert_int_eq(comment_count(t.p.buyer.token, t.review), 0);
    ck_assert_int_eq(comment_count(t.other.token, t.review), 0);
    assert_review_status(t.p.seller.token, t.review, "viewed");
    json_t *item = qa_queue_find(t.p.support.token, "kind=review_comment", "review_comment", id);
    ck_assert_ptr_nonnull(item);
    ck_assert_msg(json_is_true(json_object_get(item, "is_official")), "queue: is_official");
    ck_assert_int_eq(api_jint(json_object_get(item, "review"), "id"), t.review);
    json_decref(item);
    qa_decide_ok(t.p.support.token, "review_comment", id, "approve", NULL);
    /* published: the review is processed and answered, its author told */
    assert_review_status(t.p.buyer.token, t.review, "processed");
    struct api_resp *r = rv_get(t.other.token, t.review);
    ck_assert_msg(json_is_true(json_object_get(r->json, "answered")), "answered: %s", r->body);
    ck_assert_int_eq(api_int(r, "comments_count"), 1);
    json_t *first =
        json_array_get(json_object_get(json_object_get(r->json, "comments"), "items"), 0);
    ck_assert_int_eq(api_jint(first, "id"), id);
    ck_assert_msg(json_is_false(json_object_get(first, "is_owner")), "is_owner for another");
    ck_assert_msg(json_is_null(json_object_get(first, "moderation")), "moderation for another");
    api_free(r);
    json_t *note = NULL;
    ck_assert_int_eq(
        qa_notifications(t.p.buyer.token, "review.comment_published", "comment_id", id, &note), 1);
    ck_assert_msg(json_is_true(json_object_get(json_object_get(note, "data"), "is_official")),
                  "is_official in the notification");
    json_decref(note);
    ck_assert_int_eq(
        qa_notifications(t.p.seller.token, "review.comment_published", "comment_id", id, NULL), 0);
    json_t *answered = rv_list(t.p.seller.token, "answered=true");
    ck_assert_int_eq(json_array_size(answered), 1);
    json_decref(answered);
    /* deleting the only answer takes the review back to viewed */
    r = delete_comment(t.p.seller.token, id);
    ck_assert_status(r, 204);
    api_free(r);
    assert_review_status(t.p.seller.token, t.review, "viewed");
    ck_assert_int_eq(comment_count(t.other.token, t.review), 0);
}
END_TEST

START_TEST(test_rejected_answer_and_mark_processed)
{
    struct thread t;
    thread_open(&t);
    json_t *answer = rv_comment(t.p.seller.token, t.review, "Call us!", 0);
    int64_t id = api_jint(answer, "id");
    json_decref(answer);
    qa_decide_ok(t.p.support.token, "review_comment", id, "reject", "Answer the buyer here");
    ck_assert_int_eq(
        qa_notifications(t.p.seller.token, "review.comment_rejected", "comment_id", id, NULL), 1);
    assert_review_status(t.p.seller.token, t.review, "viewed");
    long status;
    json_t *mine = rv_comments(t.p.seller.token, t.review, &status);
    ck_assert_str_eq(api_jstr(json_object_get(json_array_get(mine, 0), "moderation"), "status"),
                     "rejected");
    json_decref(mine);
    /* answering with mark_processed marks it at once, whatever moderation decides */
    struct api_resp *r =
        rv_comment_post(t.p.seller.token, t.review, "Thanks, we will do better.", 0, 1);
    ck_assert_status(r, 201);
    api_free(r);
    assert_review_status(t.p.seller.token, t.review, "processed");
    json_t *unanswered = rv_list(t.p.seller.token, "answered=false&status=processed");
    ck_assert_int_eq(json_array_size(unanswered), 1);
    json_decref(unanswered);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Buyers' comments and replies
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_buyers_comment_and_reply_one_level)
{
    struct thread t;
    thread_open(&t);
    json_t *a = rv_comment(t.other.token, t.review, "Did you brew it at 80 degrees?", 0);
    ck_assert_str_eq(api_jstr(json_object_get(a, "moderation"), "status"), "approved");
    ck_assert_msg(json_is_false(json_object_get(a, "is_official")), "is_official");
    int64_t top = api_jint(a, "id");
    json_t *b = rv_comment(t.p.buyer.token, t.review, "Yes, still too sweet.", top);
    ck_assert_int_eq(api_jint(b, "parent_comment_id"), top);
    /* the author heard of the first comment, the other buyer of the reply */
    ck_assert_int_eq(
        qa_notifications(t.p.buyer.token, "review.comment_published", "comment_id", top, NULL), 1);
    ck_assert_int_eq(qa_notifications(t.other.token, "review.comment_published", "comment_id",
                                      api_jint(b, "id"), NULL),
                     1);
    ck_assert_int_eq(qa_notifications(t.p.seller.token, "review.comment_published", "comment_id",
                                      api_jint(b, "id"), NULL),
                     1);
    /* replies nest one level: not under a reply, nor under another review's comment */
    struct api_resp *r =
        rv_comment_post(t.other.token, t.review, "And now?", api_jint(b, "id"), -1);
    assert_field_error(r, "parent_comment_id", "not_top_level");
    api_free(r);
    struct thread u;
    thread_open(&u);
    r = rv_comment_post(t.other.token, u.review, "Wrong thread", top, -1);
    assert_field_error(r, "parent_comment_id", "not_top_level");
    api_free(r);
    r = rv_comment_post(t.other.token, t.review, "No parent", RV_NO_SUCH_ID, -1);
    assert_field_error(r, "parent_comment_id", "not_top_level");
    api_free(r);
    /* oldest first, in pages */
    long status;
    json_t *all = rv_comments(t.p.seller.token, t.review, &status);
    ck_assert_int_eq(json_array_size(all), 2);
    ck_assert_int_eq(api_jint(json_array_get(all, 0), "id"), top);
    json_decref(all);
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(test_comment_refused_roles_and_strangers)
{
    struct thread t;
    struct api_user other_seller;
    thread_open(&t);
    api_new_user(&other_seller, "seller");
    struct api_resp *r = rv_comment_post(t.p.support.token, t.review, "Moderator here", 0, -1);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = rv_comment_post(other_seller.token, t.review, "Buy mine instead", 0, -1);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = rv_comment_post(t.other.token, t.review, "Processed!", 0, 1);
    assert_field_error(r, "mark_processed", "not_allowed");
    api_free(r);
    /* a review nobody else sees: 404 for them */
    struct purchase q;
    rv_purchase(&q, "Hidden tea", 1, "delivered");
    int64_t waiting = rv_write_id(q.buyer.token, q.pn, q.product[0], 1,
                                  json_pack("{s:s}", "text", "Hmm" FLAGGED_SUFFIX));
    const char *strangers[] = {t.other.token, q.seller.token};
    for (int i = 0; i < 2; i++) {
        r = rv_comment_post(strangers[i], waiting, "Hello", 0, -1);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        long status;
        json_t *none = rv_comments(strangers[i], waiting, &status);
        ck_assert_int_eq(status, 404);
        ck_assert_ptr_null(none);
    }
    r = rv_comment_post(t.other.token, RV_NO_SUCH_ID, "Hello", 0, -1);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    ck_assert_int_eq(comment_count(t.p.support.token, t.review), 0);
}
END_TEST

START_TEST(test_comment_bad_input_writes_nothing)
{
    struct thread t;
    char path[64];
    thread_open(&t);
    snprintf(path, sizeof path, "/v1/reviews/%lld/comments", (long long)t.review);
    static const struct {
        const char *body, *field, *code;
    } bad[] = {
        {"{}", "text", "required"},
        {"{\"text\":\"\"}", "text", "too_short"},
        {"{\"text\":\"  \\n \"}", "text", "too_short"},
        {"{\"text\":5}", "text", "wrong_type"},
        {"{\"text\":\"Hi\",\"parent_comment_id\":0}", "parent_comment_id", "out_of_range"},
        {"{\"text\":\"Hi\",\"mark_processed\":\"yes\"}", "mark_processed", "wrong_type"},
        {"{\"text\":\"Hi\",\"rating\":5}", "rating", "unknown_field"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct api_resp *r = api_post(path, t.other.token, bad[i].body);
        ck_assert_msg(r->status == 400 && api_has_error(r, bad[i].field, bad[i].code), "%s: %s",
                      bad[i].body, r->body);
        api_free(r);
    }
    char *text = api_repeat("ы", 3001);
    struct api_resp *r = rv_comment_post(t.other.token, t.review, text, 0, -1);
    assert_field_error(r, "text", "too_long");
    api_free(r);
    free(text);
    r = rv_comment_post(t.other.token, t.review, "Пишите мне в телеграм @teaseller", 0, -1);
    ck_assert_problem(r, 422, "content_violation");
    api_free(r);
    r = api_post(path, t.other.token, "{\"text\":");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    ck_assert_int_eq(comment_count(t.p.support.token, t.review), 0);
}
END_TEST

START_TEST(test_delete_own_comment_only)
{
    struct thread t;
    thread_open(&t);
    json_t *c = rv_comment(t.other.token, t.review, "Same experience", 0);
    int64_t id = api_jint(c, "id");
    json_decref(c);
    const char *not_theirs[] = {t.p.buyer.token, t.p.seller.token};
    for (int i = 0; i < 2; i++) {
        struct api_resp *r = delete_comment(not_theirs[i], id);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
    }
    struct api_resp *r = delete_comment(t.p.support.token, id);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    ck_assert_int_eq(comment_count(t.p.buyer.token, t.review), 1);
    r = delete_comment(t.other.token, id);
    ck_assert_status(r, 204);
    api_free(r);
    r = delete_comment(t.other.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    ck_assert_int_eq(comment_count(t.p.buyer.token, t.review), 0);
    r = rv_get(t.p.buyer.token, t.review);
    ck_assert_int_eq(api_int(r, "comments_count"), 0);
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Complaints
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_complaint_upheld_removes_the_review)
{
    struct thread t;
    thread_open(&t);
    struct api_resp *r =
        rv_complain(t.p.seller.token, t.review, "not_about_product", "It is about the courier.");
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "status"), "open");
    ck_assert_str_eq(api_str(r, "reason"), "not_about_product");
    int64_t id = api_int(r, "id");
    api_free(r);
    r = rv_complain(t.p.seller.token, t.review, "spam", NULL);
    ck_assert_problem(r, 409, "complaint_open");
    api_free(r);
    json_t *item =
        qa_queue_find(t.p.support.token, "kind=review_complaint", "review_complaint", id);
    ck_assert_ptr_nonnull(item);
    ck_assert_str_eq(api_jstr(item, "reason"), "not_about_product");
    ck_assert_int_eq(api_jint(json_object_get(item, "review"), "author_id"), t.p.buyer.id);
    ck_assert_int_eq(api_jint(json_object_get(item, "author"), "id"), t.p.seller.id);
    json_decref(item);
    /* a decision on a complaint is explained either way */
    r = qa_decide(t.p.support.token, "review_complaint", id, "approve", NULL);
    assert_field_error(r, "reason", "required");
    api_free(r);
    qa_decide_ok(t.p.support.token, "review_complaint", id, "approve",
                 "The review is about delivery");
    json_t *note = NULL;
    ck_assert_int_eq(
        qa_notifications(t.p.buyer.token, "review.removed", "review_id", t.review, &note), 1);
    ck_assert_str_eq(api_jstr(json_object_get(note, "data"), "reason"),
                     "The review is about delivery");
    json_decref(note);
    ck_assert_int_eq(
        qa_notifications(t.p.seller.token, "review.complaint_decided", "complaint_id", id, &note),
        1);
    ck_assert_str_eq(api_jstr(json_object_get(note, "data"), "outcome"), "upheld");
    json_decref(note);
    /* gone from the seller's list, the rating and for others; its author sees why */
    json_t *list = rv_list(t.p.seller.token, "");
    ck_assert_int_eq(json_array_size(list), 0);
    json_decref(list);
    json_t *rating = rv_rating(t.other.token, t.p.product[0]);
    ck_assert_int_eq(api_jint(rating, "count"), 0);
    json_decref(rating);
    r = rv_get(t.other.token, t.review);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = rv_get(t.p.buyer.token, t.review);
    ck_assert_msg(json_is_true(json_object_get(json_object_get(r->json, "moderation"), "removed")),
                  "removed: %s", r->body);
    api_free(r);
    r = rv_patch(t.p.buyer.token, t.review, json_pack("{s:i}", "rating", 5));
    ck_assert_problem(r, 409, "review_removed");
    api_free(r);
}
END_TEST

START_TEST(test_complaint_dismissed_keeps_the_review)
{
    struct thread t;
    thread_open(&t);
    struct api_resp *r = rv_complain(t.p.seller.token, t.review, "competitor", NULL);
    ck_assert_status(r, 201);
    int64_t id = api_int(r, "id");
    api_free(r);
    qa_decide_ok(t.p.support.token, "review_complaint", id, "reject", "An honest buyer's opinion");
    json_t *note = NULL;
    ck_assert_int_eq(
        qa_notifications(t.p.seller.token, "review.complaint_decided", "complaint_id", id, &note),
        1);
    ck_assert_str_eq(api_jstr(json_object_get(note, "data"), "outcome"), "dismissed");
    json_decref(note);
    ck_assert_int_eq(
        qa_notifications(t.p.buyer.token, "review.removed", "review_id", t.review, NULL), 0);
    r = rv_get(t.other.token, t.review);
    ck_assert_status(r, 200);
    api_free(r);
    /* decided: another complaint may be filed */
    r = rv_complain(t.p.seller.token, t.review, "other", "The photo shows another product.");
    ck_assert_status(r, 201);
    api_free(r);
}
END_TEST

START_TEST(test_complaint_refused_roles_and_bad_input)
{
    struct thread t;
    struct api_user other_seller;
    char path[64];
    thread_open(&t);
    api_new_user(&other_seller, "seller");
    const char *refused[] = {t.p.buyer.token, t.p.support.token};
    for (int i = 0; i < 2; i++) {
        struct api_resp *r = rv_complain(refused[i], t.review, "spam", NULL);
        ck_assert_problem(r, 403, "forbidden");
        api_free(r);
    }
    struct api_resp *r = rv_complain(other_seller.token, t.review, "spam", NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = rv_complain(t.p.seller.token, RV_NO_SUCH_ID, "spam", NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    snprintf(path, sizeof path, "/v1/reviews/%lld/complaints", (long long)t.review);
    static const struct {
        const char *body, *field, *code;
    } bad[] = {
        {"{}", "reason", "required"},
        {"{\"reason\":\"rude\"}", "reason", "invalid_enum"},
        {"{\"reason\":\"spam\",\"text\":\"   \"}", "text", "too_short"},
        {"{\"reason\":\"spam\",\"text\":1}", "text", "wrong_type"},
        {"{\"reason\":\"spam\",\"urgent\":true}", "urgent", "unknown_field"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = api_post(path, t.p.seller.token, bad[i].body);
        ck_assert_msg(r->status == 400 && api_has_error(r, bad[i].field, bad[i].code), "%s: %s",
                      bad[i].body, r->body);
        api_free(r);
    }
    char *text = api_repeat("a", 1001);
    r = rv_complain(t.p.seller.token, t.review, "other", text);
    assert_field_error(r, "text", "too_long");
    api_free(r);
    free(text);
    /* nothing was filed: a valid complaint is the first one */
    r = rv_complain(t.p.seller.token, t.review, "spam", NULL);
    ck_assert_status(r, 201);
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * One moderation workflow for every kind
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_queue_and_batch_decisions_span_kinds)
{
    struct thread t;
    thread_open(&t);
    int64_t question = qa_ask(t.other.token, t.p.product[0], "Is it loose leaf?" FLAGGED_SUFFIX);
    json_t *comment = rv_comment(t.p.seller.token, t.review, "It is loose leaf tea.", 0);
    struct api_resp *r = rv_complain(t.p.seller.token, t.review, "spam", NULL);
    int64_t complaint = api_int(r, "id");
    api_free(r);
    char pn[40];
    rv_buy(&t.other, &t.p.seller, t.p.product[0], "delivered", pn);
    int64_t waiting = rv_write_id(t.other.token, pn, t.p.product[0], 4,
                                  json_pack("{s:s}", "text", "Nice" FLAGGED_SUFFIX));
    json_t *version = rv_queued_version(t.p.support.token, waiting);
    ck_assert_ptr_nonnull(version);
    /* the whole queue holds all four kinds, oldest first */
    ck_assert(qa_queued(t.p.support.token, "", "question", question));
    ck_assert(qa_queued(t.p.support.token, "", "review_comment", api_jint(comment, "id")));
    ck_assert(qa_queued(t.p.support.token, "", "review_complaint", complaint));
    ck_assert(qa_queued(t.p.support.token, "", "review", api_jint(version, "id")));
    ck_assert(!qa_queued(t.p.support.token, "kind=review", "question", question));
    char body[512];
    snprintf(body, sizeof body,
             "{\"items\":[{\"kind\":\"question\",\"id\":%lld,\"decision\":\"approve\"},"
             "{\"kind\":\"review_comment\",\"id\":%lld,\"decision\":\"approve\"},"
             "{\"kind\":\"review\",\"id\":%lld,\"decision\":\"approve\"},"
             "{\"kind\":\"review_complaint\",\"id\":%lld,\"decision\":\"reject\","
             "\"reason\":\"Not spam\"}]}",
             (long long)question, (long long)api_jint(comment, "id"),
             (long long)api_jint(version, "id"), (long long)complaint);
    r = api_post("/v1/moderation/decisions", t.p.support.token, body);
    ck_assert_status(r, 200);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "results"), i, it)
    {
        ck_assert_msg(strcmp(api_jstr(it, "result"), "decided") == 0, "item %zu: %s", i, r->body);
    }
    api_free(r);
    assert_review_status(t.p.seller.token, t.review, "processed");
    r = rv_get(t.p.buyer.token, waiting);
    ck_assert_msg(json_is_true(json_object_get(r->json, "published")), "published: %s", r->body);
    api_free(r);
    /* deciding twice is a conflict; an unknown kind names the known ones */
    r = qa_decide(t.p.support.token, "review", api_jint(version, "id"), "reject", "Changed mind");
    ck_assert_problem(r, 409, "already_decided");
    api_free(r);
    r = qa_decide(t.p.support.token, "dispute", 1, "approve", NULL);
    assert_field_error(r, "kind", "invalid_enum");
    ck_assert_msg(strstr(r->body, "review_complaint") != NULL, "kinds not named: %s", r->body);
    api_free(r);
    /* sellers and buyers do not moderate */
    r = qa_decide(t.p.seller.token, "review_complaint", complaint, "approve", "Mine");
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    json_decref(comment);
    json_decref(version);
}
END_TEST

Suite *review_comments_suite(void)
{
    Suite *s = suite_create("review_comments");
    TCase *answers = api_tcase("official-answers");
    tcase_add_test(answers, test_official_answer_waits_then_processes_the_review);
    tcase_add_test(answers, test_rejected_answer_and_mark_processed);
    suite_add_tcase(s, answers);
    TCase *comments = api_tcase("comments");
    tcase_add_test(comments, test_buyers_comment_and_reply_one_level);
    tcase_add_test(comments, test_comment_refused_roles_and_strangers);
    tcase_add_test(comments, test_comment_bad_input_writes_nothing);
    tcase_add_test(comments, test_delete_own_comment_only);
    suite_add_tcase(s, comments);
    TCase *complaints = api_tcase("complaints");
    tcase_add_test(complaints, test_complaint_upheld_removes_the_review);
    tcase_add_test(complaints, test_complaint_dismissed_keeps_the_review);
    tcase_add_test(complaints, test_complaint_refused_roles_and_bad_input);
    suite_add_tcase(s, complaints);
    TCase *queue = api_tcase("moderation-kinds");
    tcase_add_test(queue, test_queue_and_batch_decisions_span_kinds);
    suite_add_tcase(s, queue);
    return s;
}
