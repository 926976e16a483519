-- The fan-out of 0017, kinder to its neighbours (found in review):
-- * FOR KEY SHARE: an endpoint deleted while an event is written is skipped (READ COMMITTED
--   re-checks the locked row) instead of failing the event's whole transaction with a foreign
--   key violation: a seller deleting a webhook must not fail a buyer's review or a promotion
--   broadcast to every seller.
-- * A disabled endpoint's deliveries are held with next_attempt_at = 'infinity', outside the
--   range every claim scans (webhook_deliveries_due_idx), so a disabled endpoint of a busy
--   account does not slow the claims of everyone else; re-enabling sets them due (0017's
--   "resumed" update, which takes every pending delivery due later than now).
CREATE OR REPLACE FUNCTION webhooks_fan_out() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    INSERT INTO webhook_deliveries (webhook_id, seller_id, event_position, type, next_attempt_at)
    SELECT w.id, w.seller_id, NEW.position, NEW.type,
           CASE WHEN w.status = 'disabled' THEN 'infinity'::timestamptz ELSE now() END
      FROM webhooks w
     WHERE w.seller_id = NEW.account
       AND (NEW.type = ANY (w.events) OR '*' = ANY (w.events))
       FOR KEY SHARE OF w;
    RETURN NULL;
END
$$;

