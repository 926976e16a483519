-- Chats between buyers, sellers and the support team, their files, canned replies and the
-- switch that turns chat off for a fraudster.
CREATE TABLE chats (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text        NOT NULL
                    CHECK (kind IN ('buyer_seller', 'seller_support', 'buyer_support')),
    status          text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    buyer_id        bigint      REFERENCES users (id),
    seller_id       bigint      REFERENCES users (id),
    posting_number  text        REFERENCES postings (posting_number),
    product_id      bigint      REFERENCES products (id),
    reason          text        CHECK (reason IN ('order_details', 'delivery_problem',
                                                  'availability', 'buyer_request')),
    topic           text,
    assigned_to     bigint      REFERENCES users (id), -- the support agent answering
    started_by      bigint      NOT NULL REFERENCES users (id),
    last_message_id bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    closed_by       bigint      REFERENCES users (id),
    CHECK (CASE kind WHEN 'buyer_seller' THEN buyer_id IS NOT NULL AND seller_id IS NOT NULL
                     WHEN 'seller_support' THEN buyer_id IS NULL AND seller_id IS NOT NULL
                     ELSE buyer_id IS NOT NULL AND seller_id IS NULL END)
);
-- one open chat per buyer, seller and context: starting again finds it
CREATE UNIQUE INDEX chats_open_context_key
    ON chats (buyer_id, seller_id, coalesce(posting_number, ''), coalesce(product_id, 0))
    WHERE kind = 'buyer_seller' AND status = 'open';

-- Each chat has two sides; the support side is the team's shared inbox (user_id NULL), so any
-- agent reads and answers it. A side keeps its read mark, unread count, since when it owes an
-- answer, and the chat's place in its list (activity: renumbered on every message).
CREATE SEQUENCE chat_activity_seq;
CREATE TABLE chat_sides (
    chat_id        bigint      NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    side           text        NOT NULL CHECK (side IN ('buyer', 'seller', 'support')),
    user_id        bigint      REFERENCES users (id),
    kind           text        NOT NULL, -- the chat's, so lists and counters filter without a join
    status         text        NOT NULL DEFAULT 'open', -- the chat's, likewise
    last_read_id   bigint      NOT NULL DEFAULT 0,
    unread         integer     NOT NULL DEFAULT 0 CHECK (unread >= 0),
    awaiting_since timestamptz,
    activity       bigint      NOT NULL DEFAULT nextval('chat_activity_seq'),
    PRIMARY KEY (chat_id, side),
    CHECK ((side = 'support') = (user_id IS NULL))
);
CREATE INDEX chat_sides_user_idx ON chat_sides (user_id, activity DESC) WHERE user_id IS NOT NULL;
CREATE INDEX chat_sides_support_idx ON chat_sides (activity DESC) WHERE side = 'support';
CREATE INDEX chat_sides_unread_idx ON chat_sides (user_id, kind) WHERE unread > 0;
-- "open chats" is the usual view; without these a user with many closed chats walks them all
CREATE INDEX chat_sides_user_open_idx ON chat_sides (user_id, activity DESC)
    WHERE user_id IS NOT NULL AND status = 'open';
CREATE INDEX chat_sides_support_open_idx ON chat_sides (activity DESC)
    WHERE side = 'support' AND status = 'open';
-- the support team's unread counters, on every inbox list and counters call
CREATE INDEX chat_sides_support_unread_idx ON chat_sides (kind) INCLUDE (unread)
    WHERE side = 'support' AND unread > 0;
-- the inbox filters assigned=me / none
CREATE INDEX chats_assigned_idx ON chats (assigned_to) WHERE kind <> 'buyer_seller';

CREATE TABLE files (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uploader_id  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content_type text        NOT NULL,
    size         integer     NOT NULL CHECK (size > 0),
    sha256       text        NOT NULL,
    data         bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- images and PDFs are compressed already: do not spend CPU compressing them again
ALTER TABLE files ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX files_uploader_idx ON files (uploader_id, id DESC);

CREATE TABLE chat_messages (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id        bigint      NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    author_id      bigint      NOT NULL REFERENCES users (id),
    side           text        NOT NULL CHECK (side IN ('buyer', 'seller', 'support')),
    text           text,
    attachment_ids bigint[]    NOT NULL DEFAULT '{}',
    template_id    bigint,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (text IS NOT NULL OR cardinality(attachment_ids) > 0)
);
CREATE INDEX chat_messages_chat_idx ON chat_messages (chat_id, id);
-- anti-spam: the same text from one author to many chats within an hour
CREATE INDEX chat_messages_repeat_idx ON chat_messages (author_id, md5(text), created_at)
    WHERE text IS NOT NULL;

-- which chats a file was sent in: its participants may download it
CREATE TABLE chat_files (
    file_id bigint NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    chat_id bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    PRIMARY KEY (file_id, chat_id)
);

CREATE TABLE chat_templates (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      text        NOT NULL,
    text       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_templates_owner_idx ON chat_templates (owner_id, id DESC);

-- Every seller starts with the canned replies most shops write first; a trigger, so accounts
-- made by registration, the CLI, the demo seed and the bench generator all get them.
CREATE FUNCTION chat_templates_for_new_seller() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    INSERT INTO chat_templates (owner_id, title, text) VALUES
      (NEW.id, 'Order packed and handed to delivery',
       'Hello, {buyer_name}! Your order {posting_number} is packed and has been handed to the '
       'delivery service. You can follow it in your orders.'),
      (NEW.id, 'Please confirm the colour',
       'Hello, {buyer_name}! Before we ship {posting_number}, please confirm the colour you '
       'would like. Thank you!'),
      (NEW.id, 'Sorry for the delay',
       '{buyer_name}, we are sorry that {posting_number} is taking longer than expected. We are '
       'doing everything to send it as soon as possible.');
    RETURN NULL;
END $$;
CREATE TRIGGER users_seller_templates AFTER INSERT ON users
    FOR EACH ROW WHEN (NEW.role = 'seller') EXECUTE FUNCTION chat_templates_for_new_seller();

CREATE TABLE chat_restrictions (
    user_id    bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    reason     text        NOT NULL,
    until      timestamptz, -- NULL: until support lifts it
    created_by bigint      NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Chat messages notify by push and e-mail but stay out of the in-app feed (chats have their
-- own unread counters): such notifications carry in_feed = false and the feed's indexes
-- leave them out.
ALTER TABLE notifications ADD COLUMN in_feed boolean NOT NULL DEFAULT true;
DROP INDEX notifications_feed_idx;
DROP INDEX notifications_unread_idx;
DROP INDEX notifications_tab_feed_idx;
CREATE INDEX notifications_feed_idx ON notifications (user_id, id DESC) WHERE in_feed;
CREATE INDEX notifications_unread_idx ON notifications (user_id, tab)
    WHERE read_at IS NULL AND in_feed;
CREATE INDEX notifications_tab_feed_idx ON notifications (user_id, tab, id DESC) WHERE in_feed;

-- A chat as one viewer's side sees it. The counterpart is never shown with an e-mail.
-- PL/pgSQL: its query is planned once per session. As a SQL function (which cannot be inlined:
-- it reads other tables) every statement calling it planned the body again, 0.3 ms of the
-- 0.37 ms of GET /v1/chats/{id} (bench/README.md, "Chats").
CREATE FUNCTION chat_json(c chats, s chat_sides) RETURNS json LANGUAGE plpgsql STABLE PARALLEL SAFE AS
$$ BEGIN RETURN (SELECT json_build_object(
     'id', c.id, 'kind', c.kind, 'status', c.status,
     'counterpart', json_build_object('id', cp.id, 'role', cp.role,
                                      'display_name', coalesce(u.display_name, 'Support')),
     'context', CASE WHEN c.kind = 'buyer_seller' THEN (
                  SELECT json_build_object('posting_number', c.posting_number,
                                           'product_id', p.id, 'sku', p.sku)
                    FROM (SELECT 1) one LEFT JOIN products p ON p.id = coalesce(c.product_id,
                           (SELECT i.product_id FROM postings ps
                              JOIN posting_items i ON i.posting_id = ps.id
                             WHERE ps.posting_number = c.posting_number
                             ORDER BY i.product_id LIMIT 1))) END,
     'reason', c.reason, 'topic', c.topic, 'assigned_to', c.assigned_to,
     'last_message', (SELECT json_build_object('id', m.id, 'author_role', m.side,
                                               'preview', left(m.text, 100),
                                               'attachments', cardinality(m.attachment_ids),
                                               'created_at', sd_ts(m.created_at))
                        FROM chat_messages m WHERE m.id = c.last_message_id),
     'unread_count', s.unread,
     'awaiting_reply_since', sd_ts(s.awaiting_since),
     'reply_overdue', coalesce(s.awaiting_since < now() - interval '24 hours', false),
     'created_at', sd_ts(c.created_at), 'closed_at', sd_ts(c.closed_at))
   FROM (SELECT CASE WHEN s.side = 'support' THEN coalesce(c.buyer_id, c.seller_id)
                     WHEN c.kind <> 'buyer_seller' THEN c.assigned_to
                     WHEN s.side = 'buyer' THEN c.seller_id ELSE c.buyer_id END AS id,
                CASE WHEN s.side = 'support' THEN CASE c.kind WHEN 'buyer_support' THEN 'buyer'
                                                              ELSE 'seller' END
                     WHEN c.kind <> 'buyer_seller' THEN 'support'
                     WHEN s.side = 'buyer' THEN 'seller' ELSE 'buyer' END AS role) cp
   LEFT JOIN users u ON u.id = cp.id); END $$;

-- A message; read_by_counterpart: the other side's read mark has passed it. The caller gives
-- the author's display name (a join): without sub-selects the function is inlined into the
-- statement, which made a page of 50 messages three times cheaper in PostgreSQL than a call
-- per row (bench/README.md, "Chats"). Attachments are looked up only when there are some.
CREATE FUNCTION chat_attachments_json(ids bigint[]) RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_agg(json_build_object('id', f.id, 'content_type', f.content_type,
                                     'size', f.size, 'sha256', f.sha256) ORDER BY f.id)
     FROM files f WHERE f.id = ANY (ids) $$;
CREATE FUNCTION chat_message_json(m chat_messages, other_read_id bigint, author_name text)
RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
     'id', m.id, 'chat_id', m.chat_id,
     'author', json_build_object('id', m.author_id, 'role', m.side, 'display_name', author_name),
     'text', m.text,
     'attachments', CASE WHEN cardinality(m.attachment_ids) = 0 THEN '[]'::json
                         ELSE chat_attachments_json(m.attachment_ids) END,
     'created_at', sd_ts(m.created_at),
     'read_by_counterpart', m.id <= other_read_id) $$;
