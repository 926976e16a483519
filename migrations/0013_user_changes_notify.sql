-- Every process keeps the accounts it authenticates in memory (src/principal_cache.c); a change
-- of an account, whoever makes it (the API, a migration, an operator in psql), tells all of
-- them at commit, and they forget it.
CREATE FUNCTION users_notify_change() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify('sellerdesk_user_changed', OLD.id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER users_notify_change AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION users_notify_change();
-- TRUNCATE has no rows: every account is forgotten
CREATE FUNCTION users_notify_truncate() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify('sellerdesk_user_changed', '*');
    RETURN NULL;
END
$$;
CREATE TRIGGER users_notify_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION users_notify_truncate();
