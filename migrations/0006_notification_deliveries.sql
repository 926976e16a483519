-- The outbox of push and e-mail deliveries, written in the notification's transaction and
-- drained by the delivery worker (FOR UPDATE SKIP LOCKED: several sellerdesk processes can
-- share the work). skipped: the channel is not configured on this platform.
CREATE TABLE notification_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id bigint      NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel         text        NOT NULL CHECK (channel IN ('push', 'email')),
    status          text        NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_deliveries_due_idx ON notification_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX notification_deliveries_notification_idx ON notification_deliveries (notification_id);
