-- API keys of sellers' integrations. The secret (sdk_ and 43 base64url characters, 256 random
-- bits) is shown once and kept only as its keyed BLAKE2b hash (hex): a password hash would cost
-- tens of milliseconds on every request, and a secret of 256 random bits cannot be guessed
-- from a fast hash. prefix is the first characters of the secret, for the seller to tell keys
-- apart; it cannot authenticate anything.
CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    scopes       text[]      NOT NULL,
    prefix       text        NOT NULL,
    secret_hash  text        NOT NULL, -- hex
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CONSTRAINT api_keys_scopes_present CHECK (cardinality(scopes) > 0)
);
CREATE UNIQUE INDEX api_keys_secret_hash_idx ON api_keys (secret_hash);
CREATE INDEX api_keys_seller_idx ON api_keys (seller_id, id DESC);

-- Every process keeps the keys it has verified in memory (src/api_key_cache.c); a revocation
-- or any other change of what a key may do tells all of them at commit, through the listener
-- of the account cache (src/principal_cache.c). last_used_at is not among the columns: its
-- updates change nothing a process keeps.
CREATE FUNCTION api_keys_notify_change() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify('sellerdesk_api_key_changed', OLD.id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER api_keys_notify_change
    AFTER UPDATE OF seller_id, scopes, secret_hash, expires_at, revoked_at OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION api_keys_notify_change();
CREATE FUNCTION api_keys_notify_truncate() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify('sellerdesk_api_key_changed', '*');
    RETURN NULL;
END
$$;
CREATE TRIGGER api_keys_notify_truncate AFTER TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION api_keys_notify_truncate();
