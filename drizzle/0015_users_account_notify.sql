-- Each instance keeps account states (role, activity, token version) in memory for up to
-- AUTH_STATE_TTL_MS. This notice, sent at commit on channel techmart_account_changed with the
-- user id, tells every listening instance to drop its copy at once, whoever made the change
-- (the API, psql, an admin script): deactivation, role change, password change (the version
-- trigger bumps token_version), logout (bumps it explicitly) and deletion.
CREATE OR REPLACE FUNCTION users_notify_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('techmart_account_changed', OLD.id::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER users_account_changed AFTER UPDATE ON "users" FOR EACH ROW
  WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active
     OR OLD.user_type IS DISTINCT FROM NEW.user_type
     OR OLD.token_version IS DISTINCT FROM NEW.token_version)
  EXECUTE FUNCTION users_notify_account_changed();
--> statement-breakpoint
CREATE TRIGGER users_account_deleted AFTER DELETE ON "users" FOR EACH ROW
  EXECUTE FUNCTION users_notify_account_changed();
