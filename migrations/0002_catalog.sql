-- Catalog context: products of sellers, orders of buyers split into one posting per seller.
-- Every seller-scoped table carries seller_id so the schema can be distributed by seller.
CREATE SEQUENCE product_sku_seq START 100000001;
CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id   bigint      NOT NULL REFERENCES users (id),
    sku         bigint      NOT NULL DEFAULT nextval('product_sku_seq') UNIQUE,
    offer_id    text        NOT NULL,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    price       bigint      NOT NULL CHECK (price > 0),
    stock       integer     NOT NULL CHECK (stock >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT products_seller_offer_key UNIQUE (seller_id, offer_id)
);
CREATE INDEX products_seller_id_idx ON products (seller_id, id DESC);

CREATE TABLE orders (
    id         bigint GENERATED ALWAYS AS IDENTITY (START WITH 10000001) PRIMARY KEY,
    buyer_id   bigint      NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_buyer_idx ON orders (buyer_id, id DESC);

CREATE TABLE postings (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    posting_number text        NOT NULL UNIQUE,
    order_id       bigint      NOT NULL REFERENCES orders (id),
    seller_id      bigint      NOT NULL REFERENCES users (id),
    buyer_id       bigint      NOT NULL REFERENCES users (id),
    status         text        NOT NULL DEFAULT 'awaiting_packaging'
                   CHECK (status IN ('awaiting_packaging', 'delivering', 'delivered', 'cancelled')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    delivering_at  timestamptz,
    delivered_at   timestamptz,
    cancelled_at   timestamptz
);
CREATE INDEX postings_order_idx ON postings (order_id);
CREATE INDEX postings_seller_idx ON postings (seller_id, id DESC);

CREATE TABLE posting_items (
    posting_id bigint  NOT NULL REFERENCES postings (id),
    seller_id  bigint  NOT NULL,
    product_id bigint  NOT NULL REFERENCES products (id),
    quantity   integer NOT NULL CHECK (quantity > 0),
    price      bigint  NOT NULL,
    PRIMARY KEY (posting_id, product_id)
);

-- API representations, kept next to the tables they describe.
CREATE FUNCTION product_json(p products) RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', p.id, 'seller_id', p.seller_id, 'sku', p.sku,
                            'offer_id', p.offer_id, 'name', p.name, 'description', p.description,
                            'price', p.price, 'stock', p.stock,
                            'created_at', sd_ts(p.created_at), 'updated_at', sd_ts(p.updated_at)) $$;

CREATE FUNCTION posting_json(p postings) RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
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
       'cancelled_at', sd_ts(p.cancelled_at)) $$;

CREATE FUNCTION order_json(o orders) RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
       'id', o.id, 'buyer_id', o.buyer_id, 'created_at', sd_ts(o.created_at),
       'total', (SELECT coalesce(sum(i.quantity * i.price), 0)
                   FROM postings p JOIN posting_items i ON i.posting_id = p.id
                  WHERE p.order_id = o.id),
       'postings', (SELECT coalesce(json_agg(posting_json(p) ORDER BY p.id), '[]'::json)
                      FROM postings p WHERE p.order_id = o.id)) $$;
