-- Refused texts, one row per rule that refused them: who, which rule, where, when; never the
-- text itself. Support uses it to spot repeat offenders.
CREATE TABLE moderation_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      REFERENCES users (id) ON DELETE CASCADE, -- NULL: not signed in
    rule       text        NOT NULL,
    endpoint   text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_events_user_idx ON moderation_events (user_id, created_at DESC);
CREATE INDEX moderation_events_created_idx ON moderation_events (created_at);

-- Fixed-window request counters shared by every sellerdesk process ("modcheck:<user>", ...).
CREATE TABLE rate_limits (
    key          text        PRIMARY KEY,
    window_start timestamptz NOT NULL,
    hits         integer     NOT NULL
);
