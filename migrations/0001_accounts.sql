-- Accounts, refresh-token families, login throttling and idempotency records.
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('buyer', 'seller', 'support')),
    display_name  text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- e-mail addresses are compared case-insensitively
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE SEQUENCE refresh_token_family_seq;
CREATE TABLE refresh_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   bigint      NOT NULL,
    token_hash  bytea       NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Failed logins per key ("account:<email>" or "client:<address>") within a window.
CREATE TABLE auth_throttle (
    key          text        PRIMARY KEY,
    failures     integer     NOT NULL,
    window_start timestamptz NOT NULL,
    locked_until timestamptz
);

-- The first answer to a create request, replayed for retries with the same key.
CREATE TABLE idempotency_keys (
    scope        text        NOT NULL,
    key          text        NOT NULL,
    request_hash bytea       NOT NULL,
    status       integer     NOT NULL,
    body         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- RFC 3339 UTC, the one timestamp format of the API.
CREATE FUNCTION sd_ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

-- The API representation of a user (never the password hash).
CREATE FUNCTION user_json(u users) RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', u.id, 'email', u.email, 'role', u.role,
                            'display_name', u.display_name, 'created_at', sd_ts(u.created_at)) $$;
