-- The event log (issue 17): what happened to each account, in the order its changes
-- committed, read by integrators by position (GET /v1/events). Append-only: rows are never
-- updated, and no retention deletes them yet.
--
-- Each account's positions count 1, 2, 3 ... without gaps. A position is taken by updating the
-- account's counter row in the transaction of the change, so the row stays locked until that
-- transaction ends: the next change of the account waits for the commit (or the rollback,
-- which gives the number back). Events of one account therefore commit in position order, and
-- a reader that has seen position n can never later find a committed n - 1 it skipped.
CREATE TABLE event_counters (
    account  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    position bigint NOT NULL
);

-- No foreign key: the log is large and append-only, ready for time partitioning; an account's
-- counter row exists whenever it has events.
CREATE TABLE events (
    account    bigint      NOT NULL,
    position   bigint      NOT NULL,
    type       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    data       jsonb       NOT NULL,
    PRIMARY KEY (account, position)
);
