-- The live event stream (GET /v1/events/stream): every process keeps one listener on this
-- channel and, told that an account's log grew, reads that account's new rows once for all of
-- its open streams (src/event_hub.c). The payload is "account:last position" of the statement;
-- the rows themselves are read from the table, so a notice lost while a listener reconnects
-- loses nothing: the listener re-reads from each stream's own position after a reconnect.
--
-- One notice per account per statement, not per row: a change that appends to 10,000 accounts
-- in one statement sends 10,000 notices either way, but one that appends many rows for the same
-- account sends one. NOTIFY is delivered at commit, when the rows are visible to the reader.
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS
$$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT account, max(position) AS position FROM new_events GROUP BY account LOOP
        PERFORM pg_notify('sellerdesk_event', r.account::text || ':' || r.position::text);
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify();
