-- Writes made outside the app (psql, bulk imports, the seed) reach every
-- instance's caches: statement-level triggers send one NOTIFY per statement on
-- channel `techmart_catalog`, which every instance LISTENs to
-- (src/modules/catalog/catalog.external.ts). The payload is JSON:
--   {"ids":[...],"categories":[...],"slugs":[...]}  the changed products, their
--     categories before and after, and the slugs whose by-slug entry may be a
--     cached "not found" (inserted rows, changed slugs, changed activity);
--   {"all":true}  everything in the catalog (categories changed, TRUNCATE, or
--     more products than a payload holds: NOTIFY refuses 8000 bytes or more).
-- The app's own connections (application_name 'techmart', src/db/client.ts)
-- invalidate synchronously after their writes, so their statements send nothing.
-- Re-runnable (OR REPLACE): `psql -f` applies it to a database that recorded
-- this migration while it was still a placeholder.
CREATE OR REPLACE FUNCTION catalog_change_payload(ids integer[], category_ids integer[], slugs text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN octet_length(p) <= 7500 THEN p
    ELSE '{"all":true}'
  END
  FROM (SELECT json_build_object(
    'ids', coalesce(ids, '{}'), 'categories', coalesce(category_ids, '{}'), 'slugs', coalesce(slugs, '{}')
  )::text AS p) t
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION catalog_notify_products() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  -- Past this many rows the payload would not fit anyway: skip building it.
  max_rows constant integer := 1000;
  payload text := '{"all":true}';
BEGIN
  IF current_setting('application_name', true) = 'techmart' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
    IF NOT EXISTS (SELECT 1 FROM new_rows OFFSET max_rows) THEN
      SELECT catalog_change_payload(array_agg(id), array_agg(DISTINCT category_id), array_agg(slug))
      INTO payload FROM new_rows;
    END IF;
  ELSIF TG_OP = 'UPDATE' THEN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
    IF NOT EXISTS (SELECT 1 FROM new_rows OFFSET max_rows) THEN
      SELECT catalog_change_payload(
        (SELECT array_agg(id) FROM (SELECT id FROM old_rows UNION SELECT id FROM new_rows) i),
        (SELECT array_agg(category_id) FROM (SELECT category_id FROM old_rows UNION SELECT category_id FROM new_rows) c),
        (SELECT array_agg(DISTINCT s.slug)
           FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
           CROSS JOIN LATERAL (VALUES (o.slug), (n.slug)) s(slug)
           WHERE s.slug IS NOT NULL
             AND (o.id IS NULL OR n.id IS NULL OR o.slug <> n.slug OR o.is_active <> n.is_active)))
      INTO payload;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
    IF NOT EXISTS (SELECT 1 FROM old_rows OFFSET max_rows) THEN
      SELECT catalog_change_payload(array_agg(id), array_agg(DISTINCT category_id), '{}')
      INTO payload FROM old_rows;
    END IF;
  END IF;
  PERFORM pg_notify('techmart_catalog', payload);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION catalog_notify_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('application_name', true) <> 'techmart' THEN
    PERFORM pg_notify('techmart_catalog', '{"all":true}');
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- A trigger with transition tables may have one event only: one trigger per event.
CREATE OR REPLACE TRIGGER products_notify_insert AFTER INSERT ON products
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_products();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER products_notify_update AFTER UPDATE ON products
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_products();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER products_notify_delete AFTER DELETE ON products
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_products();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER products_notify_truncate AFTER TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_all();
--> statement-breakpoint
-- Category names and slugs show in every product entry, and moves change subtrees: everything.
CREATE OR REPLACE TRIGGER categories_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
  FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_all();
