-- Platform promotions: support creates them; sellers put products in them with an action price
-- and a quantity sold at that price; orders charge the action price while the quantity lasts.

CREATE TABLE promotions (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title                text        NOT NULL,
    description          text        NOT NULL DEFAULT '',
    type                 text        NOT NULL CHECK (type IN ('discount', 'stock_discount')),
    date_start           timestamptz NOT NULL,
    date_end             timestamptz NOT NULL,
    -- after it, a participation may only get cheaper or larger; no product joins or leaves
    freeze_date          timestamptz,
    min_discount_percent integer     NOT NULL CHECK (min_discount_percent BETWEEN 1 AND 95),
    max_discount_percent integer     NOT NULL CHECK (max_discount_percent BETWEEN 1 AND 95),
    -- stock_discount: a product joins only with at least this many units in stock
    min_stock            integer     CHECK (min_stock BETWEEN 1 AND 1000000000),
    audience             text        NOT NULL CHECK (audience IN ('all', 'sellers')),
    ended_at             timestamptz, -- ended early by support
    created_by           bigint      NOT NULL REFERENCES users (id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    -- the scheduler's marks: each notice goes out once, whichever process sends it
    started_notified_at  timestamptz,
    ending_notified_at   timestamptz,
    CHECK (date_end > date_start),
    CHECK (max_discount_percent >= min_discount_percent),
    CHECK (freeze_date IS NULL OR (freeze_date >= date_start AND freeze_date <= date_end)),
    CHECK ((type = 'stock_discount') = (min_stock IS NOT NULL))
);
-- when it stops pricing orders: its end, or earlier when support ended it
CREATE FUNCTION promotion_end(p promotions) RETURNS timestamptz LANGUAGE sql IMMUTABLE
PARALLEL SAFE AS $$ SELECT least(p.date_end, p.ended_at) $$;
CREATE INDEX promotions_end_idx ON promotions (least(date_end, ended_at), id);
CREATE INDEX promotions_start_idx ON promotions (date_start) WHERE started_notified_at IS NULL;

-- audience 'sellers': who may take part
CREATE TABLE promotion_sellers (
    promotion_id bigint NOT NULL REFERENCES promotions (id) ON DELETE CASCADE,
    seller_id    bigint NOT NULL REFERENCES users (id),
    PRIMARY KEY (promotion_id, seller_id)
);
CREATE INDEX promotion_sellers_seller_idx ON promotion_sellers (seller_id, promotion_id);

-- A product in a promotion. The action price and the quantity are the seller's; sold counts
-- the units orders took at the action price (never more than quantity). The period is when
-- this promotion prices the product: from when it joined (or the start) to the end (cut short
-- when support ends the promotion early), so "one promotion per product at a time" is an
-- exclusion constraint: no two participations of a product may overlap in time.
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE promotion_products (
    promotion_id bigint      NOT NULL REFERENCES promotions (id) ON DELETE CASCADE,
    product_id   bigint      NOT NULL REFERENCES products (id),
    seller_id    bigint      NOT NULL REFERENCES users (id),
    action_price bigint      NOT NULL CHECK (action_price >= 1),
    quantity     integer     NOT NULL CHECK (quantity >= 1),
    sold         integer     NOT NULL DEFAULT 0 CHECK (sold >= 0 AND sold <= quantity),
    period       tstzrange   NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (promotion_id, product_id),
    EXCLUDE USING gist (product_id WITH =, period WITH &&)
);
CREATE INDEX promotion_products_seller_idx ON promotion_products (seller_id, promotion_id, product_id);
CREATE INDEX promotion_products_product_idx ON promotion_products (product_id, promotion_id);

-- Which promotion priced the units of an order line, and at what price: promo_quantity units
-- at action_price, the rest at price.
ALTER TABLE posting_items ADD COLUMN promotion_id bigint REFERENCES promotions (id),
                          ADD COLUMN action_price bigint,
                          ADD COLUMN promo_quantity integer NOT NULL DEFAULT 0,
                          ADD CONSTRAINT posting_items_promo_check CHECK (
                              (promotion_id IS NULL AND action_price IS NULL AND promo_quantity = 0)
                              OR (promotion_id IS NOT NULL AND action_price >= 1
                                  AND promo_quantity BETWEEN 1 AND quantity));

-- what a line costs
CREATE FUNCTION posting_item_paid(i posting_items) RETURNS bigint LANGUAGE sql IMMUTABLE
PARALLEL SAFE AS
$$ SELECT i.promo_quantity * coalesce(i.action_price, 0) + (i.quantity - i.promo_quantity) * i.price $$;

CREATE OR REPLACE FUNCTION posting_json(p postings) RETURNS json LANGUAGE plpgsql STABLE
PARALLEL SAFE AS
$$
BEGIN
    RETURN json_build_object(
       'posting_number', p.posting_number, 'order_id', p.order_id,
       'seller_id', p.seller_id, 'buyer_id', p.buyer_id, 'status', p.status,
       'items', (SELECT coalesce(json_agg(json_build_object(
                        'product_id', i.product_id, 'sku', pr.sku, 'offer_id', pr.offer_id,
                        'name', pr.name, 'quantity', i.quantity, 'price', i.price,
                        'promotion', CASE WHEN i.promotion_id IS NOT NULL THEN json_build_object(
                            'id', i.promotion_id, 'action_price', i.action_price,
                            'quantity', i.promo_quantity) END,
                        'paid', posting_item_paid(i))
                        ORDER BY i.product_id), '[]'::json)
                   FROM posting_items i JOIN products pr ON pr.id = i.product_id
                  WHERE i.posting_id = p.id),
       'total', (SELECT coalesce(sum(posting_item_paid(i)), 0) FROM posting_items i
                  WHERE i.posting_id = p.id),
       'created_at', sd_ts(p.created_at), 'updated_at', sd_ts(p.updated_at),
       'delivering_at', sd_ts(p.delivering_at), 'delivered_at', sd_ts(p.delivered_at),
       'cancelled_at', sd_ts(p.cancelled_at), 'refused_at', sd_ts(p.refused_at));
END
$$;

CREATE OR REPLACE FUNCTION order_json(o orders) RETURNS json LANGUAGE plpgsql STABLE
PARALLEL SAFE AS
$$
BEGIN
    RETURN json_build_object(
       'id', o.id, 'buyer_id', o.buyer_id, 'created_at', sd_ts(o.created_at),
       'total', (SELECT coalesce(sum(posting_item_paid(i)), 0)
                   FROM postings p JOIN posting_items i ON i.posting_id = p.id
                  WHERE p.order_id = o.id),
       'postings', (SELECT coalesce(json_agg(posting_json(p) ORDER BY p.id), '[]'::json)
                      FROM postings p WHERE p.order_id = o.id));
END
$$;

-- The action prices a product may take in a promotion: the discount bounds applied to its
-- price, in whole kopecks inside them (the highest rounds down, the lowest up).
CREATE FUNCTION promotion_max_price(p promotions, price bigint) RETURNS bigint LANGUAGE sql
IMMUTABLE PARALLEL SAFE AS $$ SELECT (price * (100 - p.min_discount_percent)) / 100 $$;
CREATE FUNCTION promotion_min_price(p promotions, price bigint) RETURNS bigint LANGUAGE sql
IMMUTABLE PARALLEL SAFE AS $$ SELECT greatest(1, (price * (100 - p.max_discount_percent) + 99) / 100) $$;
-- the discount an action price gives, in percent with two decimals
CREATE FUNCTION promotion_discount(price bigint, action_price bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT round(100.0 * (price - action_price) / price, 2) $$;
-- upcoming, running or finished, now
CREATE FUNCTION promotion_phase(p promotions) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN now() >= least(p.date_end, p.ended_at) THEN 'finished'
               WHEN now() < p.date_start THEN 'upcoming' ELSE 'running' END $$;

-- The seller's products that may join the promotion now: in stock enough, with room for an
-- action price inside the bounds, and in no promotion whose period meets this one's.
CREATE FUNCTION promotion_candidate_count(p promotions, seller bigint) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE AS
$$
BEGIN
    IF now() >= least(p.date_end, p.ended_at) OR (p.freeze_date IS NOT NULL AND now() >= p.freeze_date) THEN
        RETURN 0;
    END IF;
    RETURN (SELECT count(*) FROM products pr
             WHERE pr.seller_id = seller
               AND (p.min_stock IS NULL OR pr.stock >= p.min_stock)
               AND promotion_max_price(p, pr.price) >= promotion_min_price(p, pr.price)
               AND NOT EXISTS (SELECT 1 FROM promotion_products o WHERE o.product_id = pr.id
                                  AND o.period && tstzrange(greatest(p.date_start, now()), least(p.date_end, p.ended_at))));
END
$$;

-- A promotion as a seller (viewer) sees it, with their counts; support (viewer 0) sees the
-- audience and the totals.
CREATE FUNCTION promotion_json(p promotions, viewer bigint) RETURNS json LANGUAGE plpgsql STABLE
PARALLEL SAFE AS
$$
DECLARE
    phase text := promotion_phase(p);
    mine bigint;
BEGIN
    IF viewer > 0 THEN
        SELECT count(*) INTO mine FROM promotion_products pp
         WHERE pp.promotion_id = p.id AND pp.seller_id = viewer;
    END IF;
    RETURN json_build_object(
       'id', p.id, 'title', p.title, 'description', p.description, 'type', p.type,
       'date_start', sd_ts(p.date_start), 'date_end', sd_ts(p.date_end),
       'freeze_date', sd_ts(p.freeze_date), 'ended_at', sd_ts(p.ended_at),
       'min_discount_percent', p.min_discount_percent,
       'max_discount_percent', p.max_discount_percent, 'min_stock', p.min_stock,
       'audience', p.audience, 'phase', phase,
       'frozen', p.freeze_date IS NOT NULL AND now() >= p.freeze_date,
       'state', CASE WHEN viewer = 0 THEN NULL WHEN phase = 'finished' THEN 'finished'
                     WHEN mine > 0 THEN 'participating' ELSE 'available' END,
       'participating_products_count', CASE WHEN viewer > 0 THEN mine END,
       'candidate_products_count', CASE WHEN viewer > 0 THEN promotion_candidate_count(p, viewer) END,
       'seller_ids', CASE WHEN viewer = 0 AND p.audience = 'sellers' THEN
           (SELECT coalesce(json_agg(s.seller_id ORDER BY s.seller_id), '[]') FROM promotion_sellers s
             WHERE s.promotion_id = p.id) END,
       'products_count', CASE WHEN viewer = 0 THEN
           (SELECT count(*) FROM promotion_products pp WHERE pp.promotion_id = p.id) END,
       'created_at', sd_ts(p.created_at), 'updated_at', sd_ts(p.updated_at));
END
$$;

-- A participation as its seller sees it.
CREATE FUNCTION promotion_product_json(pp promotion_products) RETURNS json LANGUAGE plpgsql STABLE
PARALLEL SAFE AS
$$
BEGIN
    RETURN (SELECT json_build_object(
       'product_id', pp.product_id, 'sku', pr.sku, 'offer_id', pr.offer_id, 'name', pr.name,
       'seller_id', pp.seller_id, 'price', pr.price, 'action_price', pp.action_price,
       'discount_percent', promotion_discount(pr.price, pp.action_price),
       'quantity', pp.quantity, 'sold', pp.sold, 'remaining', pp.quantity - pp.sold,
       'stock', pr.stock, 'updated_at', sd_ts(pp.updated_at))
      FROM products pr WHERE pr.id = pp.product_id);
END
$$;
