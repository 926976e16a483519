-- Signed webhooks of sellers' integrations (api/webhooks.c, src/webhook_delivery.c).
--
-- secret is kept as it is: it must sign every delivery, so a hash would not do. It never
-- leaves the database except in the answers of creation and rotation, and is never logged.
-- previous_secret signs too until previous_secret_expires_at (the grace of a rotation).
CREATE TABLE webhooks (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id                  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url                        text        NOT NULL CHECK (length(url) <= 2048),
    events                     text[]      NOT NULL CHECK (cardinality(events) > 0),
    description                text,
    secret                     text        NOT NULL,
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    status                     text        NOT NULL DEFAULT 'active'
                               CHECK (status IN ('active', 'failing', 'disabled')),
    status_reason              text,
    consecutive_failures       integer     NOT NULL DEFAULT 0,
    disabled_reason            text,
    disabled_at                timestamptz,
    last_success_at            timestamptz,
    last_failure_at            timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
-- the fan-out looks an account's endpoints up on every event: one index probe when it has none
CREATE INDEX webhooks_seller_idx ON webhooks (seller_id, id DESC);

-- One row per (endpoint, event), or a ping (event_position NULL). The body is built from the
-- event row at each attempt (the feed item of GET /v1/events), so nothing is copied here.
-- locked_until is the lease of the process sending it: claimed and committed before the HTTP
-- request, so no transaction stays open across a slow receiver; a process that dies
-- mid-send leaves a lease that runs out, and the delivery is sent again (at least once).
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id       bigint      NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    seller_id        bigint      NOT NULL,
    event_position   bigint,
    type             text        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    -- attempts made before the last redelivery: the retry budget counts from there
    attempts_base    integer     NOT NULL DEFAULT 0,
    last_status_code integer,
    last_error       text,
    last_attempt_at  timestamptz,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id DESC);

-- Fan-out in the transaction of the event: an event that commits has its deliveries, one that
-- rolls back has none. Disabled endpoints get theirs too, held pending until re-enabled.
CREATE FUNCTION webhooks_fan_out() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    INSERT INTO webhook_deliveries (webhook_id, seller_id, event_position, type)
    SELECT w.id, w.seller_id, NEW.position, NEW.type
      FROM webhooks w
     WHERE w.seller_id = NEW.account
       AND (NEW.type = ANY (w.events) OR '*' = ANY (w.events));
    RETURN NULL;
END
$$;
CREATE TRIGGER webhooks_fan_out AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION webhooks_fan_out();
