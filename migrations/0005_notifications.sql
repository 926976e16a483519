-- Notifications: the in-app feed. Personal notifications are rows per user; broadcasts are
-- stored once and merged into feeds when read, with per-user read state. Both take ids from
-- one sequence, so a feed is one keyset over both.
CREATE SEQUENCE feed_id_seq;

CREATE TABLE notifications (
    id         bigint      PRIMARY KEY DEFAULT nextval('feed_id_seq'),
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event      text        NOT NULL,
    tab        text        NOT NULL,
    title      text        NOT NULL,
    body       text        NOT NULL,
    data       jsonb       NOT NULL DEFAULT '{}',
    read_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_feed_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, tab) WHERE read_at IS NULL;

CREATE TABLE broadcasts (
    id         bigint      PRIMARY KEY DEFAULT nextval('feed_id_seq'),
    tab        text        NOT NULL CHECK (tab IN ('main', 'promotion', 'training', 'services')),
    title      text        NOT NULL,
    body       text        NOT NULL,
    audience   text        NOT NULL CHECK (audience IN ('all', 'buyers', 'sellers', 'users')),
    user_ids   bigint[],   -- audience 'users' only
    created_by bigint      NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX broadcasts_user_ids_idx ON broadcasts USING gin (user_ids);

CREATE TABLE broadcast_reads (
    broadcast_id bigint      NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, broadcast_id)
);

-- A user's choice per event and channel; absent rows mean the event's default.
CREATE TABLE notification_settings (
    user_id bigint  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event   text    NOT NULL,
    channel text    NOT NULL CHECK (channel IN ('push', 'email')),
    enabled boolean NOT NULL,
    PRIMARY KEY (user_id, event, channel)
);

-- Is broadcast b meant for user u (of role r, registered at t)? Broadcasts sent before a
-- user registered are not theirs.
CREATE FUNCTION broadcast_targets(b broadcasts, u bigint, r text, t timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT b.created_at >= t AND (b.audience = 'all'
          OR (b.audience = 'buyers' AND r = 'buyer')
          OR (b.audience = 'sellers' AND r = 'seller')
          OR (b.audience = 'users' AND u = ANY (b.user_ids))) $$;

CREATE FUNCTION notification_json(n notifications) RETURNS json LANGUAGE sql STABLE
PARALLEL SAFE AS
$$ SELECT json_build_object('id', n.id, 'event', n.event, 'tab', n.tab, 'title', n.title,
                            'body', n.body, 'data', n.data, 'read', n.read_at IS NOT NULL,
                            'created_at', sd_ts(n.created_at)) $$;

CREATE FUNCTION broadcast_feed_json(b broadcasts, read_at timestamptz) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', b.id, 'event', 'platform.broadcast', 'tab', b.tab,
                            'title', b.title, 'body', b.body, 'data', '{}'::json,
                            'read', read_at IS NOT NULL, 'created_at', sd_ts(b.created_at)) $$;

CREATE FUNCTION broadcast_json(b broadcasts) RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', b.id, 'tab', b.tab, 'title', b.title, 'body', b.body,
                            'audience', CASE WHEN b.audience = 'users'
                                             THEN json_build_object('user_ids', b.user_ids)
                                             ELSE to_json(b.audience) END,
                            'created_by', b.created_by, 'created_at', sd_ts(b.created_at)) $$;
