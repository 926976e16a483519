-- Measured in bench/ (sqlfunc-cost.sh): sd_ts was declared IMMUTABLE around to_char, which is
-- only STABLE, so PostgreSQL refused to inline it and every function calling it; and the SQL
-- functions with sub-selects (posting_json, order_json) were planned again on every call.
-- STABLE lets the simple ones inline; PL/pgSQL caches the plans of the others per session.
-- The JSON they produce is unchanged.
CREATE OR REPLACE FUNCTION sd_ts(t timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

CREATE OR REPLACE FUNCTION posting_json(p postings) RETURNS json LANGUAGE plpgsql STABLE
PARALLEL SAFE AS
$$
BEGIN
    RETURN json_build_object(
       'posting_number', p.posting_number, 'order_id', p.order_id,
       'seller_id', p.seller_id, 'buyer_id', p.buyer_id, 'status', p.status,
       'items', (SELECT coalesce(json_agg(json_build_object(
                        'product_id', i.product_id, 'sku', pr.sku, 'offer_id', pr.offer_id,
                        'name', pr.name, 'quantity', i.quantity, 'price', i.price)
                        ORDER BY i.product_id), '[]'::json)
                   FROM posting_items i JOIN products pr ON pr.id = i.product_id
                  WHERE i.posting_id = p.id),
       'created_at', sd_ts(p.created_at), 'updated_at', sd_ts(p.updated_at),
       'delivering_at', sd_ts(p.delivering_at), 'delivered_at', sd_ts(p.delivered_at),
       'cancelled_at', sd_ts(p.cancelled_at));
END
$$;

CREATE OR REPLACE FUNCTION order_json(o orders) RETURNS json LANGUAGE plpgsql STABLE
PARALLEL SAFE AS
$$
BEGIN
    RETURN json_build_object(
       'id', o.id, 'buyer_id', o.buyer_id, 'created_at', sd_ts(o.created_at),
       'total', (SELECT coalesce(sum(i.quantity * i.price), 0)
                   FROM postings p JOIN posting_items i ON i.posting_id = p.id
                  WHERE p.order_id = o.id),
       'postings', (SELECT coalesce(json_agg(posting_json(p) ORDER BY p.id), '[]'::json)
                      FROM postings p WHERE p.order_id = o.id));
END
$$;
