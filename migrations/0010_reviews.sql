-- Reviews of delivered purchases: versions (every edit is moderated again while the last
-- approved one stays public), media, comment threads, sellers' complaints, the per-seller
-- counters of the work list and the per-product rating.

-- A posting the buyer refused at pickup: its items may be reviewed, but those reviews are
-- neither shown on the product page nor counted in its rating.
ALTER TABLE postings DROP CONSTRAINT postings_status_check;
ALTER TABLE postings ADD CONSTRAINT postings_status_check
    CHECK (status IN ('awaiting_packaging', 'delivering', 'delivered', 'cancelled', 'refused'));
ALTER TABLE postings ADD COLUMN refused_at timestamptz;

-- (PL/pgSQL, as 0003 made it: it keeps the items query's plan per session)
CREATE OR REPLACE FUNCTION posting_json(p postings) RETURNS json LANGUAGE plpgsql STABLE
PARALLEL SAFE AS
$$
BEGIN
    RETURN json_build_object(
       'posting_number', p.posting_number, 'order_id', p.order_id,
       'seller_id', p.seller_id, 'buyer_id', p.buyer_id, 'status', p.status,
       'items', (SELECT coalesce(json_agg(json_build_object(
                        'product_id', i.product_id, 'sku', pr.sku, 'offer_id', pr.offer_id,
                        'name', pr.name, 'quantity', i.quantity, 'price', i.price)
                        ORDER BY i.product_id), '[]'::json)
                   FROM posting_items i JOIN products pr ON pr.id = i.product_id
                  WHERE i.posting_id = p.id),
       'created_at', sd_ts(p.created_at), 'updated_at', sd_ts(p.updated_at),
       'delivering_at', sd_ts(p.delivering_at), 'delivered_at', sd_ts(p.delivered_at),
       'cancelled_at', sd_ts(p.cancelled_at), 'refused_at', sd_ts(p.refused_at));
END
$$;

CREATE TABLE reviews (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id       bigint      NOT NULL REFERENCES products (id),
    seller_id        bigint      NOT NULL REFERENCES users (id), -- the product's, copied
    buyer_id         bigint      NOT NULL REFERENCES users (id), -- the author
    posting_id       bigint      NOT NULL REFERENCES postings (id),
    sku              bigint      NOT NULL, -- the SKU bought
    refused          boolean     NOT NULL, -- the posting was refused at pickup
    -- the published version: 0 until one is approved; its content is copied here
    version          integer     NOT NULL DEFAULT 0,
    rating           smallint    CHECK (rating BETWEEN 1 AND 5),
    text             text        NOT NULL DEFAULT '',
    pros             text        NOT NULL DEFAULT '',
    cons             text        NOT NULL DEFAULT '',
    media            bigint[]    NOT NULL DEFAULT '{}',
    -- the same as the API shows them (review_media_json): files never change, and reading
    -- them for every review of a page was a third of its cost
    media_json       json        NOT NULL DEFAULT '[]',
    has_text         boolean     GENERATED ALWAYS AS (text <> '' OR pros <> '' OR cons <> '') STORED,
    has_media        boolean     GENERATED ALWAYS AS (cardinality(media) > 0) STORED,
    -- the seller's work: new (not yet opened), viewed, processed (an official answer is
    -- published, or the seller marked it)
    status           text        NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new', 'viewed', 'processed')),
    official_answers integer     NOT NULL DEFAULT 0 CHECK (official_answers >= 0),
    marked_processed boolean     NOT NULL DEFAULT false,
    removed_at       timestamptz, -- a complaint upheld by support
    removed_reason   text,
    deleted_at       timestamptz, -- by its author
    -- in the seller's lists and counts; and on the product page and in its rating
    listed           boolean     GENERATED ALWAYS AS
                     (version > 0 AND removed_at IS NULL AND deleted_at IS NULL) STORED,
    public           boolean     GENERATED ALWAYS AS
                     (version > 0 AND removed_at IS NULL AND deleted_at IS NULL AND NOT refused) STORED,
    -- the published text, pros, cons and the product's name, Russian and English
    search           tsvector    NOT NULL DEFAULT ''::tsvector,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (version = 0 OR rating IS NOT NULL),
    CHECK (status = 'processed' OR (official_answers = 0 AND NOT marked_processed))
);
-- Every list walks an index in its own order: newest or oldest first by (created_at, id), or
-- by (rating, created_at, id) either way, so a page costs what it shows and a date range or a
-- rating is a range of the index. The seller's lists have one index per order and one for
-- the status filter ('new' is rare); the product page, the buyer's own and support's list
-- theirs. Filters that keep a share of the rows (media, text, answered) are applied along
-- the walk: their cost depends on that share, not on the table's size.
-- One review per bought product of a posting; once its author deletes it, a new one may be
-- written.
CREATE UNIQUE INDEX reviews_purchase_idx ON reviews (posting_id, product_id)
    WHERE deleted_at IS NULL;
CREATE INDEX reviews_seller_date_idx ON reviews (seller_id, created_at, id) WHERE listed;
CREATE INDEX reviews_seller_rating_idx ON reviews (seller_id, rating, created_at, id) WHERE listed;
CREATE INDEX reviews_seller_status_idx ON reviews (seller_id, status, created_at, id) WHERE listed;
CREATE INDEX reviews_product_idx ON reviews (product_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX reviews_product_rating_idx ON reviews (product_id, rating, created_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX reviews_public_date_idx ON reviews (product_id, created_at, id) WHERE public;
CREATE INDEX reviews_public_rating_idx ON reviews (product_id, rating, created_at, id) WHERE public;
CREATE INDEX reviews_buyer_idx ON reviews (buyer_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX reviews_all_date_idx ON reviews (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX reviews_all_rating_idx ON reviews (rating, created_at, id) WHERE deleted_at IS NULL;
-- q: one GIN over (seller_id, search), as for questions (btree_gin, 0009)
CREATE INDEX reviews_search_idx ON reviews USING gin (seller_id, search);
ALTER TABLE reviews ALTER COLUMN search SET STATISTICS 1000;

-- Every submitted version, kept: the moderation item of a review is a version, so an edit is
-- judged while the version before stays public. Ids come from the moderation sequence: the
-- queue is one keyset over every kind, and id order is submission order.
CREATE TABLE review_versions (
    id                bigint      PRIMARY KEY DEFAULT nextval('moderation_item_seq'),
    review_id         bigint      NOT NULL REFERENCES reviews (id),
    seller_id         bigint      NOT NULL,
    version           integer     NOT NULL CHECK (version > 0),
    rating            smallint    NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text              text        NOT NULL,
    pros              text        NOT NULL,
    cons              text        NOT NULL,
    media             bigint[]    NOT NULL,
    moderation_status text        NOT NULL
                      CHECK (moderation_status IN ('pending', 'approved', 'rejected')),
    moderation_reason text,
    moderated_by      bigint      REFERENCES users (id),
    moderated_at      timestamptz,
    moderation_due_at timestamptz NOT NULL,
    flags             jsonb       NOT NULL DEFAULT '[]',
    -- a later edit (or the review's deletion) took its place while it waited
    superseded_at     timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (review_id, version)
);
CREATE INDEX review_versions_pending_idx ON review_versions (id)
    WHERE moderation_status = 'pending' AND superseded_at IS NULL;

-- A file is the media of one review at most (any of its versions), and of no chat.
CREATE TABLE review_media (
    file_id   bigint PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
    review_id bigint NOT NULL REFERENCES reviews (id)
);
CREATE INDEX review_media_review_idx ON review_media (review_id);

CREATE TABLE review_comments (
    id                bigint      PRIMARY KEY DEFAULT nextval('moderation_item_seq'),
    review_id         bigint      NOT NULL REFERENCES reviews (id),
    seller_id         bigint      NOT NULL, -- the review's
    author_id         bigint      NOT NULL REFERENCES users (id),
    official          boolean     NOT NULL, -- by the product's seller
    parent_id         bigint      REFERENCES review_comments (id), -- a reply, one level deep
    text              text        NOT NULL,
    moderation_status text        NOT NULL
                      CHECK (moderation_status IN ('pending', 'approved', 'rejected')),
    moderation_reason text,
    moderated_by      bigint      REFERENCES users (id),
    moderated_at      timestamptz,
    moderation_due_at timestamptz NOT NULL,
    flags             jsonb       NOT NULL DEFAULT '[]',
    deleted_at        timestamptz, -- by its author
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_comments_review_idx ON review_comments (review_id, id);
CREATE INDEX review_comments_pending_idx ON review_comments (id)
    WHERE moderation_status = 'pending' AND deleted_at IS NULL;

-- A seller's report that a review breaks the publication rules; support upholds it (the
-- review is removed) or dismisses it. The moderation columns carry the decision.
CREATE TABLE review_complaints (
    id                bigint      PRIMARY KEY DEFAULT nextval('moderation_item_seq'),
    review_id         bigint      NOT NULL REFERENCES reviews (id),
    seller_id         bigint      NOT NULL REFERENCES users (id), -- who complains
    reason            text        NOT NULL CHECK (reason IN ('not_about_product', 'competitor',
                                                  'spam', 'obscene', 'personal_data', 'other')),
    text              text        NOT NULL DEFAULT '',
    moderation_status text        NOT NULL DEFAULT 'pending'
                      CHECK (moderation_status IN ('pending', 'approved', 'rejected')),
    moderation_reason text,
    moderated_by      bigint      REFERENCES users (id),
    moderated_at      timestamptz,
    moderation_due_at timestamptz NOT NULL,
    flags             jsonb       NOT NULL DEFAULT '[]',
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX review_complaints_open_idx ON review_complaints (review_id, seller_id)
    WHERE moderation_status = 'pending';
CREATE INDEX review_complaints_pending_idx ON review_complaints (id)
    WHERE moderation_status = 'pending';

ALTER TABLE moderation_decisions DROP CONSTRAINT moderation_decisions_kind_check;
ALTER TABLE moderation_decisions ADD CONSTRAINT moderation_decisions_kind_check
    CHECK (kind IN ('question', 'answer', 'review', 'review_comment', 'review_complaint'));

-- Each seller's listed reviews by workflow status, answered or not, and by rating, so that
-- GET /v1/reviews/counts reads one row however many reviews there are; statement triggers
-- keep it as for question_counts (0009): one row update per seller and statement, in seller
-- order.
CREATE TABLE review_counts (
    seller_id  bigint PRIMARY KEY REFERENCES users (id),
    total      bigint NOT NULL DEFAULT 0,
    new        bigint NOT NULL DEFAULT 0,
    viewed     bigint NOT NULL DEFAULT 0,
    processed  bigint NOT NULL DEFAULT 0,
    unanswered bigint NOT NULL DEFAULT 0,
    r1         bigint NOT NULL DEFAULT 0,
    r2         bigint NOT NULL DEFAULT 0,
    r3         bigint NOT NULL DEFAULT 0,
    r4         bigint NOT NULL DEFAULT 0,
    r5         bigint NOT NULL DEFAULT 0
);

-- Each product's public reviews: how many, their ratings' sum and histogram, so that
-- GET /v1/products/{id}/rating reads one row whether a product has 10 reviews or 1,000,000.
CREATE TABLE product_ratings (
    product_id bigint PRIMARY KEY REFERENCES products (id),
    count      bigint NOT NULL DEFAULT 0,
    total      bigint NOT NULL DEFAULT 0,
    r1         bigint NOT NULL DEFAULT 0,
    r2         bigint NOT NULL DEFAULT 0,
    r3         bigint NOT NULL DEFAULT 0,
    r4         bigint NOT NULL DEFAULT 0,
    r5         bigint NOT NULL DEFAULT 0
);

CREATE TYPE review_count_key AS (seller_id bigint, product_id bigint, listed boolean,
                                 public boolean, status text, answered boolean, rating smallint);

CREATE FUNCTION review_counts_apply() RETURNS trigger
LANGUAGE plpgsql AS
$$ DECLARE
    -- rows a statement added count +1, rows it removed -1 (an UPDATE does both)
    added   review_count_key[] := '{}';
    removed review_count_key[] := '{}';
BEGIN
    IF TG_OP <> 'DELETE' THEN
        added := ARRAY(SELECT (seller_id, product_id, listed, public, status,
                               official_answers > 0, rating)::review_count_key FROM new_rows
                        WHERE listed);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        removed := ARRAY(SELECT (seller_id, product_id, listed, public, status,
                                 official_answers > 0, rating)::review_count_key FROM old_rows
                          WHERE listed);
    END IF;
    IF cardinality(added) = 0 AND cardinality(removed) = 0 THEN
        RETURN NULL;
    END IF;
    WITH delta AS (SELECT k.*, 1 AS d FROM unnest(added) k
                   UNION ALL SELECT k.*, -1 FROM unnest(removed) k),
    s AS (SELECT seller_id, sum(d) AS total,
                 coalesce(sum(d) FILTER (WHERE status = 'new'), 0) AS new,
                 coalesce(sum(d) FILTER (WHERE status = 'viewed'), 0) AS viewed,
                 coalesce(sum(d) FILTER (WHERE status = 'processed'), 0) AS processed,
                 coalesce(sum(d) FILTER (WHERE NOT answered), 0) AS unanswered,
                 coalesce(sum(d) FILTER (WHERE rating = 1), 0) AS r1,
                 coalesce(sum(d) FILTER (WHERE rating = 2), 0) AS r2,
                 coalesce(sum(d) FILTER (WHERE rating = 3), 0) AS r3,
                 coalesce(sum(d) FILTER (WHERE rating = 4), 0) AS r4,
                 coalesce(sum(d) FILTER (WHERE rating = 5), 0) AS r5
            FROM delta GROUP BY seller_id)
    INSERT INTO review_counts AS c (seller_id, total, new, viewed, processed, unanswered,
                                    r1, r2, r3, r4, r5)
    SELECT * FROM s
     WHERE s.total <> 0 OR s.new <> 0 OR s.viewed <> 0 OR s.processed <> 0 OR s.unanswered <> 0
        OR s.r1 <> 0 OR s.r2 <> 0 OR s.r3 <> 0 OR s.r4 <> 0 OR s.r5 <> 0
     ORDER BY s.seller_id
    ON CONFLICT (seller_id) DO UPDATE
       SET total = c.total + excluded.total, new = c.new + excluded.new,
           viewed = c.viewed + excluded.viewed, processed = c.processed + excluded.processed,
           unanswered = c.unanswered + excluded.unanswered, r1 = c.r1 + excluded.r1,
           r2 = c.r2 + excluded.r2, r3 = c.r3 + excluded.r3, r4 = c.r4 + excluded.r4,
           r5 = c.r5 + excluded.r5;
    WITH delta AS (SELECT k.*, 1 AS d FROM unnest(added) k WHERE k.public
                   UNION ALL SELECT k.*, -1 FROM unnest(removed) k WHERE k.public),
    s AS (SELECT product_id, sum(d) AS count, sum(d * rating) AS total,
                 coalesce(sum(d) FILTER (WHERE rating = 1), 0) AS r1,
                 coalesce(sum(d) FILTER (WHERE rating = 2), 0) AS r2,
                 coalesce(sum(d) FILTER (WHERE rating = 3), 0) AS r3,
                 coalesce(sum(d) FILTER (WHERE rating = 4), 0) AS r4,
                 coalesce(sum(d) FILTER (WHERE rating = 5), 0) AS r5
            FROM delta GROUP BY product_id)
    INSERT INTO product_ratings AS c (product_id, count, total, r1, r2, r3, r4, r5)
    SELECT * FROM s
     WHERE s.count <> 0 OR s.total <> 0 OR s.r1 <> 0 OR s.r2 <> 0 OR s.r3 <> 0 OR s.r4 <> 0
        OR s.r5 <> 0
     ORDER BY s.product_id
    ON CONFLICT (product_id) DO UPDATE
       SET count = c.count + excluded.count, total = c.total + excluded.total,
           r1 = c.r1 + excluded.r1, r2 = c.r2 + excluded.r2, r3 = c.r3 + excluded.r3,
           r4 = c.r4 + excluded.r4, r5 = c.r5 + excluded.r5;
    RETURN NULL;
END $$;

CREATE TRIGGER reviews_count_insert AFTER INSERT ON reviews
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION review_counts_apply();
CREATE TRIGGER reviews_count_update AFTER UPDATE ON reviews
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_counts_apply();
CREATE TRIGGER reviews_count_delete AFTER DELETE ON reviews
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION review_counts_apply();
CREATE FUNCTION review_counts_clear() RETURNS trigger
LANGUAGE plpgsql AS
$$ BEGIN
    DELETE FROM review_counts;
    DELETE FROM product_ratings;
    RETURN NULL;
END $$;
CREATE TRIGGER reviews_count_truncate AFTER TRUNCATE ON reviews
    FOR EACH STATEMENT EXECUTE FUNCTION review_counts_clear();

-- The API's shapes.
CREATE FUNCTION review_media_json(ids bigint[]) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(json_agg(json_build_object('id', f.id, 'content_type', f.content_type,
                                              'size', f.size, 'url', '/v1/files/' || f.id)
                            ORDER BY m.n), '[]'::json)
     FROM unnest(ids) WITH ORDINALITY AS m(id, n)
     CROSS JOIN LATERAL (SELECT f.id, f.content_type, f.size FROM files f WHERE f.id = m.id) f $$;

-- A review as the API shows it to a viewer: 0 anyone, the published version's content; 1 the
-- product's seller, also the posting; 2 its author and support, also the state of the latest
-- version and, while an edit waits, its content. comments_count counts what everyone sees:
-- approved, not deleted.
-- (PL/pgSQL keeps the plans of its scalar sub-selects for the session; as one SQL function
-- joining the tables, or with the media read from files per row, a page of 20 cost 4 times
-- as much: bench/README.md, "Reviews")
CREATE FUNCTION review_json(r reviews, viewer integer) RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE AS
$$ BEGIN
    RETURN json_build_object(
     'id', r.id,
     'product', (SELECT json_build_object('id', p.id, 'sku', p.sku, 'offer_id', p.offer_id,
                                          'name', p.name)
                   FROM products p WHERE p.id = r.product_id),
     'sku', r.sku,
     'posting_number', CASE WHEN viewer >= 1 THEN
                           (SELECT po.posting_number FROM postings po WHERE po.id = r.posting_id) END,
     'author', (SELECT json_build_object('id', u.id, 'display_name', u.display_name)
                  FROM users u WHERE u.id = r.buyer_id),
     'rating', r.rating, 'text', r.text, 'pros', r.pros, 'cons', r.cons,
     'media', r.media_json,
     'status', r.status, 'answered', r.official_answers > 0,
     'comments_count', (SELECT count(*) FROM review_comments c WHERE c.review_id = r.id
                           AND c.moderation_status = 'approved' AND c.deleted_at IS NULL),
     'refused_at_pickup', r.refused,
     'published', r.listed,
     'moderation', CASE WHEN viewer = 2 THEN (SELECT json_build_object(
         'version', v.version, 'status', v.moderation_status, 'reason', v.moderation_reason,
         'due_at', sd_ts(v.moderation_due_at), 'flags', v.flags,
         'removed', r.removed_at IS NOT NULL, 'removed_reason', r.removed_reason,
         'pending', CASE WHEN v.moderation_status = 'pending' THEN json_build_object(
             'rating', v.rating, 'text', v.text, 'pros', v.pros, 'cons', v.cons,
             'media', review_media_json(v.media), 'submitted_at', sd_ts(v.created_at)) END)
         FROM review_versions v WHERE v.review_id = r.id AND v.superseded_at IS NULL
         ORDER BY v.version DESC LIMIT 1) END,
     'created_at', sd_ts(r.created_at), 'updated_at', sd_ts(r.updated_at));
END $$;

-- A comment; author_view: the moderation state (for its author and support).
-- A comment as viewer sees it: its author and support also see its moderation.
CREATE FUNCTION review_comment_json(c review_comments, viewer bigint, support boolean)
RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
       'id', c.id, 'review_id', c.review_id, 'parent_comment_id', c.parent_id,
       'author', json_build_object('id', u.id, 'role', u.role, 'display_name', u.display_name),
       'is_official', c.official, 'is_owner', c.author_id = viewer, 'text', c.text,
       'moderation', CASE WHEN c.author_id = viewer OR support THEN json_build_object(
           'status', c.moderation_status, 'reason', c.moderation_reason,
           'due_at', sd_ts(c.moderation_due_at), 'flags', c.flags) END,
       'created_at', sd_ts(c.created_at))
     FROM users u WHERE u.id = c.author_id $$;

-- The product page: a public review with its first 20 published comments, oldest first.
CREATE FUNCTION review_page_json(r reviews, viewer bigint) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT (review_json(r, 0)::jsonb || jsonb_build_object('comments',
       (SELECT coalesce(jsonb_agg(review_comment_json(c, viewer, false)::jsonb ORDER BY c.id),
               '[]'::jsonb)
          FROM review_comments c WHERE c.id IN (
               SELECT f.id FROM review_comments f WHERE f.review_id = r.id
                  AND f.moderation_status = 'approved' AND f.deleted_at IS NULL
                ORDER BY f.id LIMIT 20))))::json $$;

CREATE FUNCTION review_complaint_json(c review_complaints) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
       'id', c.id, 'review_id', c.review_id, 'reason', c.reason, 'text', c.text,
       'status', CASE c.moderation_status WHEN 'pending' THEN 'open'
                                          WHEN 'approved' THEN 'upheld' ELSE 'dismissed' END,
       'decision_reason', c.moderation_reason, 'decided_at', sd_ts(c.moderated_at),
       'created_at', sd_ts(c.created_at)) $$;
