-- Access tokens carry the account's token_version (claim `ver`); a token whose version is not
-- the row's current one is refused. The trigger bumps it whenever what a token stands for
-- changes, whoever makes the change (the API, psql, an admin script): deactivation or
-- reactivation, role change, password change. Logout bumps it explicitly.
ALTER TABLE "users" ADD COLUMN "token_version" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION users_bump_token_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.is_active IS DISTINCT FROM OLD.is_active
     OR NEW.user_type IS DISTINCT FROM OLD.user_type
     OR NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
    NEW.token_version := OLD.token_version + 1;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER users_token_version BEFORE UPDATE OF is_active, user_type, password_hash ON "users"
  FOR EACH ROW EXECUTE FUNCTION users_bump_token_version();
