-- Disputes: a buyer's claim on a posting, the seller's answer within a deadline, support's
-- arbitration, every move in a history, and a three-party thread with its own read state.
-- The state machine itself is in src/dispute_rules.c; the database keeps its results.
CREATE TABLE disputes (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    posting_id     bigint      NOT NULL REFERENCES postings (id),
    posting_number text        NOT NULL,
    buyer_id       bigint      NOT NULL REFERENCES users (id),
    seller_id      bigint      NOT NULL REFERENCES users (id),
    reason         text        NOT NULL CHECK (reason IN ('not_received', 'damaged', 'wrong_item',
                                                          'incomplete', 'quality',
                                                          'not_as_described', 'other')),
    text           text        NOT NULL,
    requested      text        NOT NULL
                   CHECK (requested IN ('refund', 'partial_refund', 'replacement')),
    amount         bigint      CHECK (amount > 0), -- the refund asked for; NULL for replacement
    paid           bigint      NOT NULL CHECK (paid > 0), -- what the disputed items cost
    items          jsonb       NOT NULL, -- [{product_id, name, quantity, price}]
    media          bigint[]    NOT NULL DEFAULT '{}',
    state          text        NOT NULL DEFAULT 'awaiting_seller'
                   CHECK (state IN ('awaiting_seller', 'offered', 'rejected', 'awaiting_support',
                                    'accepted', 'closed', 'decided', 'withdrawn')),
    deadline       timestamptz, -- NULL once final
    offer_amount   bigint,
    offer_text     text,
    reject_reason  text,
    reject_text    text,
    -- once final: what the buyer gets
    outcome        text        CHECK (outcome IN ('refund', 'partial_refund', 'replacement',
                                                  'none')),
    outcome_amount bigint,
    decision       text        CHECK (decision IN ('buyer_favour', 'seller_favour', 'partial')),
    decision_reason text,
    decided_by     bigint      REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz,
    CHECK ((closed_at IS NULL) = (state IN ('awaiting_seller', 'offered', 'rejected',
                                            'awaiting_support')))
);
-- one open dispute per posting: a second one is refused by this index even when two race
CREATE UNIQUE INDEX disputes_open_posting_key ON disputes (posting_id) WHERE closed_at IS NULL;
CREATE INDEX disputes_buyer_idx ON disputes (buyer_id, id DESC);
CREATE INDEX disputes_seller_idx ON disputes (seller_id, id DESC);
CREATE INDEX disputes_posting_idx ON disputes (posting_number);
-- the support queue, oldest deadline first (final disputes, without one, last)
CREATE INDEX disputes_deadline_idx ON disputes ((coalesce(deadline, 'infinity')), id);
-- one state's disputes: support's queue of it by deadline, a seller's newest first (without
-- these a rare state was found by walking every open dispute: 380 ms at 1M, bench/README.md)
CREATE INDEX disputes_state_deadline_idx ON disputes (state, (coalesce(deadline, 'infinity')), id);
CREATE INDEX disputes_seller_state_idx ON disputes (seller_id, state, id DESC);
-- a seller's own disputes by deadline (sort=deadline)
CREATE INDEX disputes_seller_deadline_idx ON disputes
    (seller_id, (coalesce(deadline, 'infinity')), id);
-- open disputes by deadline: the queue of one state, the overdue ones
CREATE INDEX disputes_open_idx ON disputes (deadline, id) WHERE closed_at IS NULL;
CREATE INDEX disputes_seller_open_idx ON disputes (seller_id, deadline) WHERE closed_at IS NULL;
-- the deadline job: only the states a deadline moves (overdue ones waiting for support stay
-- out of its range)
CREATE INDEX disputes_due_idx ON disputes (deadline)
    WHERE closed_at IS NULL AND state IN ('awaiting_seller', 'offered', 'rejected');

-- Who did what, when: every transition, the opening included.
CREATE TABLE dispute_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dispute_id bigint      NOT NULL REFERENCES disputes (id) ON DELETE CASCADE,
    actor_id   bigint      REFERENCES users (id), -- NULL: the server, at a deadline
    actor_role text        NOT NULL CHECK (actor_role IN ('buyer', 'seller', 'support', 'system')),
    action     text        NOT NULL,
    from_state text,
    to_state   text        NOT NULL,
    amount     bigint,
    reason     text,
    text       text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dispute_events_dispute_idx ON dispute_events (dispute_id, id);

-- The thread: buyer, seller and the support team (one shared side, as in support chats).
CREATE TABLE dispute_messages (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dispute_id     bigint      NOT NULL REFERENCES disputes (id) ON DELETE CASCADE,
    author_id      bigint      NOT NULL REFERENCES users (id),
    side           text        NOT NULL CHECK (side IN ('buyer', 'seller', 'support')),
    text           text,
    attachment_ids bigint[]    NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (text IS NOT NULL OR cardinality(attachment_ids) > 0)
);
CREATE INDEX dispute_messages_dispute_idx ON dispute_messages (dispute_id, id);

-- Each side's read mark and unread count (like chat_sides).
CREATE TABLE dispute_sides (
    dispute_id   bigint  NOT NULL REFERENCES disputes (id) ON DELETE CASCADE,
    side         text    NOT NULL CHECK (side IN ('buyer', 'seller', 'support')),
    user_id      bigint  REFERENCES users (id),
    last_read_id bigint  NOT NULL DEFAULT 0,
    unread       integer NOT NULL DEFAULT 0 CHECK (unread >= 0),
    PRIMARY KEY (dispute_id, side),
    CHECK ((side = 'support') = (user_id IS NULL))
);
CREATE INDEX dispute_sides_unread_idx ON dispute_sides (user_id) INCLUDE (unread)
    WHERE unread > 0 AND user_id IS NOT NULL;
CREATE INDEX dispute_sides_support_unread_idx ON dispute_sides (side) INCLUDE (unread)
    WHERE side = 'support' AND unread > 0;

-- The files of a dispute (its media and the thread's attachments): its parties may read them.
CREATE TABLE dispute_files (
    file_id    bigint NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    dispute_id bigint NOT NULL REFERENCES disputes (id) ON DELETE CASCADE,
    PRIMARY KEY (file_id, dispute_id)
);

-- GET /v1/disputes/counts reads a few rows whatever the volume: per party (the buyer, the
-- seller; 0 for the support team's view of all) and state.
CREATE TABLE dispute_counts (
    party_id bigint NOT NULL,
    state    text   NOT NULL,
    n        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (party_id, state)
);

CREATE FUNCTION dispute_counts_apply() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.state = NEW.state THEN
        RETURN NULL;
    END IF;
    -- rows are locked in one order (party descending, the support team's row 0 last, the old
    -- state before the new), whichever dispute changes: two changes never wait on each other
    -- in a circle
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO dispute_counts (party_id, state, n)
        SELECT p, OLD.state, -1 FROM unnest(ARRAY[OLD.buyer_id, OLD.seller_id, 0]) p
         ORDER BY p DESC
        ON CONFLICT (party_id, state) DO UPDATE SET n = dispute_counts.n - 1;
    END IF;
    INSERT INTO dispute_counts (party_id, state, n)
    SELECT p, NEW.state, 1 FROM unnest(ARRAY[NEW.buyer_id, NEW.seller_id, 0]) p ORDER BY p DESC
    ON CONFLICT (party_id, state) DO UPDATE SET n = dispute_counts.n + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER disputes_counts AFTER INSERT OR UPDATE OF state ON disputes
    FOR EACH ROW EXECUTE FUNCTION dispute_counts_apply();

CREATE FUNCTION dispute_event_json(e dispute_events) RETURNS json LANGUAGE sql STABLE
PARALLEL SAFE AS
$$ SELECT json_build_object('id', e.id, 'actor_id', e.actor_id, 'actor_role', e.actor_role,
                            'action', e.action, 'from_state', e.from_state,
                            'to_state', e.to_state, 'amount', e.amount, 'reason', e.reason,
                            'text', e.text, 'at', sd_ts(e.created_at)) $$;

-- The dispute as the party on side (buyer, seller, support) sees it. The server adds the
-- caller's allowed_actions (it owns the state machine) and, for one dispute, its history.
CREATE FUNCTION dispute_json(d disputes, side text) RETURNS json LANGUAGE sql STABLE
PARALLEL SAFE AS
$$ SELECT json_build_object(
       'id', d.id, 'posting_number', d.posting_number, 'buyer_id', d.buyer_id,
       'seller_id', d.seller_id, 'state', d.state, 'open', d.closed_at IS NULL,
       'deadline', sd_ts(d.deadline), 'overdue', d.closed_at IS NULL AND d.deadline < now(),
       'reason', d.reason, 'text', d.text, 'requested', d.requested, 'amount', d.amount,
       'paid', d.paid, 'items', d.items, 'media', to_json(d.media),
       'offer', CASE WHEN d.offer_amount IS NULL THEN NULL
                     ELSE json_build_object('amount', d.offer_amount, 'text', d.offer_text) END,
       'rejection', CASE WHEN d.reject_reason IS NULL THEN NULL
                         ELSE json_build_object('reason', d.reject_reason,
                                                'text', d.reject_text) END,
       'resolution', CASE WHEN d.outcome IS NULL THEN NULL
                          ELSE json_build_object('outcome', d.outcome,
                                                 'amount', d.outcome_amount,
                                                 'decision', d.decision,
                                                 'reason', d.decision_reason) END,
       'unread_count', coalesce((SELECT s.unread FROM dispute_sides s
                                  WHERE s.dispute_id = d.id AND s.side = dispute_json.side), 0),
       'created_at', sd_ts(d.created_at), 'updated_at', sd_ts(d.updated_at),
       'closed_at', sd_ts(d.closed_at)) $$;

CREATE FUNCTION dispute_message_json(m dispute_messages, author_name text) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', m.id, 'dispute_id', m.dispute_id, 'author_id', m.author_id,
                            'author_name', author_name, 'side', m.side, 'text', m.text,
                            'attachment_ids', to_json(m.attachment_ids),
                            'created_at', sd_ts(m.created_at)) $$;
