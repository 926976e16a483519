-- Product questions, their answers, and the moderation workflow every public text goes
-- through (reviews and review comments will reuse it).
--
-- Questions and answers take their ids from one sequence: the moderation queue is one keyset
-- over both, and an id names one item whatever its kind.
CREATE SEQUENCE moderation_item_seq;

CREATE TABLE questions (
    id                bigint      PRIMARY KEY DEFAULT nextval('moderation_item_seq'),
    product_id        bigint      NOT NULL REFERENCES products (id),
    -- the product's seller, copied when asked: a product never changes seller, and a
    -- seller's product-filtered list relies on it (question_q_list_product_seller)
    seller_id         bigint      NOT NULL REFERENCES users (id),
    buyer_id          bigint      NOT NULL REFERENCES users (id), -- who asked
    text              text        NOT NULL,
    -- the seller's workflow: new (not yet seen), viewed; processed while an answer is published
    status            text        NOT NULL DEFAULT 'new'
                      CHECK (status IN ('new', 'viewed', 'processed')),
    published_answers integer     NOT NULL DEFAULT 0 CHECK (published_answers >= 0),
    moderation_status text        NOT NULL
                      CHECK (moderation_status IN ('pending', 'approved', 'rejected')),
    moderation_reason text,
    moderated_by      bigint      REFERENCES users (id), -- NULL with approved: the system (auto)
    moderated_at      timestamptz,
    moderation_due_at timestamptz NOT NULL,
    flags             jsonb       NOT NULL DEFAULT '[]', -- soft signals found at submission
    -- the question's words and the product's name at the time it was asked
    search            tsvector    NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'processed') = (published_answers > 0))
);
-- Every list is newest first by (created_at, id) (src/question_store.c, NEWEST), so each
-- index ends with them: a status or a date range is then a range of the index a page walks.
CREATE INDEX questions_seller_idx ON questions (seller_id, created_at DESC, id DESC)
    WHERE moderation_status = 'approved';
CREATE INDEX questions_seller_status_idx ON questions (seller_id, status, created_at DESC, id DESC)
    WHERE moderation_status = 'approved';
CREATE INDEX questions_buyer_idx ON questions (buyer_id, created_at DESC, id DESC);
-- the product page (approved only), a product's questions in every list, and support's search
-- by sku or offer_id (any state: a partial index could not serve it, and that search read the
-- whole table)
CREATE INDEX questions_product_idx ON questions (product_id, created_at DESC, id DESC);
-- support's list and date ranges over every seller
CREATE INDEX questions_created_idx ON questions (created_at DESC, id DESC);
-- q search: one GIN over (seller_id, search) (btree_gin, trusted since PostgreSQL 13) finds a
-- seller's matches without reading the rest of the table, so a search costs what it finds,
-- not how many questions exist; support's search uses it on search alone.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX questions_search_idx ON questions USING gin (seller_id, search);
-- Whether a search walks the newest questions or reads the GIN's matches depends on how rare
-- the planner thinks a word is; the default 100 statistics keep too few lexemes and a rare
-- word was judged common (1,890 rows expected, 20 found), so the walk read a whole seller.
ALTER TABLE questions ALTER COLUMN search SET STATISTICS 1000;
-- support's q may be an offer_id of any seller: (seller_id, offer_id) cannot find it
CREATE INDEX products_offer_id_idx ON products (offer_id);
CREATE INDEX questions_pending_idx ON questions (id) WHERE moderation_status = 'pending';

-- Each seller's questions by status, split by whether moderation let them through, so that
-- GET /v1/questions/counts reads one row however many questions a seller has (counting the
-- rows took 24 ms at 20k questions per seller and 353 ms at 200k). Statement triggers keep
-- it: a bulk change updates each seller's row once, in seller order so that two statements
-- touching the same sellers cannot deadlock.
CREATE TABLE question_counts (
    seller_id bigint  NOT NULL REFERENCES users (id),
    approved  boolean NOT NULL,
    new       bigint  NOT NULL DEFAULT 0,
    viewed    bigint  NOT NULL DEFAULT 0,
    processed bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (seller_id, approved)
);

-- what a question adds to or takes from its seller's counts
CREATE TYPE question_count_key AS (seller_id bigint, approved boolean, status text);

CREATE FUNCTION question_counts_apply() RETURNS trigger
LANGUAGE plpgsql AS
$$ DECLARE
    -- the rows a statement added count +1, those it removed -1 (an UPDATE does both); the
    -- transition table an event lacks must not be named, hence the two arrays
    added   question_count_key[] := '{}';
    removed question_count_key[] := '{}';
BEGIN
    IF TG_OP <> 'DELETE' THEN
        added := ARRAY(SELECT (seller_id, moderation_status = 'approved', status)::question_count_key
                         FROM new_rows);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        removed := ARRAY(SELECT (seller_id, moderation_status = 'approved', status)::question_count_key
                           FROM old_rows);
    END IF;
    INSERT INTO question_counts AS c (seller_id, approved, new, viewed, processed)
    SELECT seller_id, approved, coalesce(sum(d) FILTER (WHERE status = 'new'), 0),
           coalesce(sum(d) FILTER (WHERE status = 'viewed'), 0),
           coalesce(sum(d) FILTER (WHERE status = 'processed'), 0)
      FROM (SELECT k.*, 1 AS d FROM unnest(added) k
            UNION ALL SELECT k.*, -1 FROM unnest(removed) k) delta
     GROUP BY seller_id, approved
    HAVING sum(d) FILTER (WHERE status = 'new') <> 0
        OR sum(d) FILTER (WHERE status = 'viewed') <> 0
        OR sum(d) FILTER (WHERE status = 'processed') <> 0
     ORDER BY seller_id, approved
    ON CONFLICT (seller_id, approved) DO UPDATE
       SET new = c.new + excluded.new, viewed = c.viewed + excluded.viewed,
           processed = c.processed + excluded.processed;
    RETURN NULL;
END $$;

CREATE TRIGGER questions_count_insert AFTER INSERT ON questions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION question_counts_apply();
CREATE TRIGGER questions_count_update AFTER UPDATE ON questions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION question_counts_apply();
CREATE TRIGGER questions_count_delete AFTER DELETE ON questions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION question_counts_apply();
-- TRUNCATE fires no row triggers and has no transition table: it empties the counters too
-- (DELETE: a TRUNCATE ... CASCADE may be truncating question_counts in the same statement)
CREATE FUNCTION question_counts_clear() RETURNS trigger
LANGUAGE plpgsql AS
$$ BEGIN
    DELETE FROM question_counts;
    RETURN NULL;
END $$;
CREATE TRIGGER questions_count_truncate AFTER TRUNCATE ON questions
    FOR EACH STATEMENT EXECUTE FUNCTION question_counts_clear();

CREATE TABLE answers (
    id                bigint      PRIMARY KEY DEFAULT nextval('moderation_item_seq'),
    question_id       bigint      NOT NULL REFERENCES questions (id),
    seller_id         bigint      NOT NULL REFERENCES users (id), -- the author
    text              text        NOT NULL,
    moderation_status text        NOT NULL
                      CHECK (moderation_status IN ('pending', 'approved', 'rejected')),
    moderation_reason text,
    moderated_by      bigint      REFERENCES users (id),
    moderated_at      timestamptz,
    moderation_due_at timestamptz NOT NULL,
    flags             jsonb       NOT NULL DEFAULT '[]',
    deleted_at        timestamptz, -- withdrawn (pending) or unpublished (approved) by its author
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX answers_question_idx ON answers (question_id, id);
CREATE INDEX answers_pending_idx ON answers (id)
    WHERE moderation_status = 'pending' AND deleted_at IS NULL;

-- Every moderation decision: who decided what, when and why.
CREATE TABLE moderation_decisions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('question', 'answer')),
    item_id    bigint      NOT NULL,
    decision   text        NOT NULL CHECK (decision IN ('approve', 'reject')),
    reason     text,
    decided_by bigint      REFERENCES users (id), -- NULL: the system (auto policy)
    decided_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, item_id),
    CHECK (decision = 'approve' OR reason IS NOT NULL)
);

-- A question as the API shows it. The moderation state is for the author and support only
-- (show_moderation); everyone else gets moderation: null. answers_count counts what the
-- public sees: approved answers not deleted.
CREATE FUNCTION question_json(q questions, show_moderation boolean) RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE AS
$$ BEGIN RETURN (SELECT json_build_object(
     'id', q.id,
     'product', json_build_object('id', p.id, 'sku', p.sku, 'offer_id', p.offer_id,
                                  'name', p.name),
     'author', json_build_object('id', u.id, 'display_name', u.display_name),
     'text', q.text, 'status', q.status,
     'answers_count', (SELECT count(*) FROM answers a WHERE a.question_id = q.id
                          AND a.moderation_status = 'approved' AND a.deleted_at IS NULL),
     'moderation', CASE WHEN show_moderation THEN json_build_object(
                       'status', q.moderation_status, 'reason', q.moderation_reason,
                       'due_at', sd_ts(q.moderation_due_at), 'flags', q.flags) END,
     'created_at', sd_ts(q.created_at), 'updated_at', sd_ts(q.updated_at))
   FROM products p, users u WHERE p.id = q.product_id AND u.id = q.buyer_id);
END $$;

-- The product page: the question with its published answers, oldest first.
CREATE FUNCTION question_page_json(q questions, show_moderation boolean) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT (question_json(q, show_moderation)::jsonb || jsonb_build_object('answers',
       (SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'text', a.text,
                                                     'created_at', sd_ts(a.created_at))
                                  ORDER BY a.id), '[]'::jsonb)
          FROM answers a WHERE a.question_id = q.id AND a.moderation_status = 'approved'
           AND a.deleted_at IS NULL)))::json $$;
