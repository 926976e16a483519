-- An answer says which of its two forms it is, "view": "full" (its author and support see its
-- moderation) or "public" (everyone else), the discriminator the contract declares for answer
-- lists (src/answer_store.c adds it to the answers of the API). The answer an event carries is
-- the same object: event_object as in 0019, with "view" in both forms.
CREATE OR REPLACE FUNCTION event_object(type text, data jsonb, account bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS
$$
DECLARE
    obj jsonb;
BEGIN
    CASE type
    WHEN 'question.new', 'question.rejected' THEN
        SELECT jsonb_build_object('question', question_json(q, q.buyer_id = account))
          INTO obj FROM questions q WHERE q.id = (data ->> 'question_id')::bigint;
    WHEN 'question.answer_published', 'question.answer_rejected' THEN
        -- the answer's author sees its moderation; the question's author the public answer
        SELECT jsonb_build_object(
                   'question', question_json(q, q.buyer_id = account),
                   'answer', CASE WHEN a.seller_id = account THEN jsonb_build_object(
                       'id', a.id, 'question_id', a.question_id, 'text', a.text,
                       'moderation_status', a.moderation_status,
                       'moderation_reason', a.moderation_reason,
                       'moderation_due_at', sd_ts(a.moderation_due_at), 'flags', a.flags,
                       'published', a.moderation_status = 'approved' AND a.deleted_at IS NULL,
                       'deleted_at', sd_ts(a.deleted_at), 'created_at', sd_ts(a.created_at),
                       'view', 'full')
                   ELSE jsonb_build_object('id', a.id, 'question_id', a.question_id,
                                           'text', a.text, 'created_at', sd_ts(a.created_at),
                                           'view', 'public')
                   END)
          INTO obj FROM answers a JOIN questions q ON q.id = a.question_id
         WHERE a.id = (data ->> 'answer_id')::bigint;
    WHEN 'review.new', 'review.rejected', 'review.removed' THEN
        SELECT jsonb_build_object('review', review_json(r,
                   CASE WHEN r.buyer_id = account THEN 2 WHEN r.seller_id = account THEN 1
                        ELSE 0 END))
          INTO obj FROM reviews r WHERE r.id = (data ->> 'review_id')::bigint;
    WHEN 'review.comment_published', 'review.comment_rejected' THEN
        SELECT jsonb_build_object('comment', review_comment_json(c, account, false))
          INTO obj FROM review_comments c WHERE c.id = (data ->> 'comment_id')::bigint;
    WHEN 'review.complaint_decided' THEN
        SELECT jsonb_build_object('complaint', review_complaint_json(c))
          INTO obj FROM review_complaints c WHERE c.id = (data ->> 'complaint_id')::bigint;
    WHEN 'promotion.started', 'promotion.ending' THEN
        SELECT jsonb_build_object('promotion', promotion_json(p, account))
          INTO obj FROM promotions p WHERE p.id = (data ->> 'promotion_id')::bigint;
    WHEN 'dispute.opened', 'dispute.updated' THEN
        SELECT jsonb_build_object('dispute', dispute_json(d,
                   CASE WHEN d.buyer_id = account THEN 'buyer'
                        WHEN d.seller_id = account THEN 'seller' ELSE 'support' END))
          INTO obj FROM disputes d WHERE d.id = (data ->> 'dispute_id')::bigint;
    ELSE
        obj := NULL;
    END CASE;
    RETURN coalesce(obj, '{}'::jsonb);
END
$$;
