-- Catalog search: one tokenization for documents and queries, a relevance order
-- that every plan can serve (exact name, title match, popularity), and the term
-- statistics the app chooses its plan from.
--
-- catalog_search_text() rewrites text before PostgreSQL's parser sees it, so that
-- product text and query words split the same way: "wh-1000xm5" -> "wh 1000xm5
-- wh1000xm5" (the parts and the joined form), "s24+" -> "s24 s24plus", "f/1.8" ->
-- "f 1.8 f1.8", "10-90" -> "10 90 1090" (the parser alone reads "-90" as a negative
-- number), while decimals ("9.4", "0.9") stay one token. The query side runs every
-- word through the same function and to_tsvector (catalog.query.ts), never a
-- tokenizer of its own. One expression, no subquery, so the planner inlines it: it
-- runs for four fields of every product written.
CREATE OR REPLACE FUNCTION catalog_search_text(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT regexp_replace(regexp_replace(lower(t), '([[:alnum:]]+)\+', '\1 \1plus', 'g'),
    '([[:alnum:].]+)[-/]([[:alnum:].]+)', '\1 \2 \1\2', 'g')
$$;--> statement-breakpoint
DROP INDEX IF EXISTS "products_search_vector_idx";--> statement-breakpoint
ALTER TABLE "products" DROP COLUMN "search_vector";--> statement-breakpoint
-- search_vector: every field, weighted (name A, brand B, short description C, description D).
-- title_vector: name and brand only; a match there ranks above a match in the descriptions.
-- Names and brands are there twice, stemmed ('english': "gaming" -> "game") and as written
-- ('simple'), so that a word typed partly ("gami") matches as a prefix of the word as written.
-- search_rank: the static order within a relevance tier, unique per product: popularity
-- (reviews received, scaled by their average, to 1/1000) then id. One float8 key, exact
-- below 2^53, so a btree and a RUM index serve the same total order and a cursor can
-- name a position in it.
ALTER TABLE "products"
  ADD COLUMN "search_vector" tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', catalog_search_text(coalesce("name", ''))), 'A') ||
    setweight(to_tsvector('simple', catalog_search_text(coalesce("name", ''))), 'A') ||
    setweight(to_tsvector('english', catalog_search_text(coalesce("brand", ''))), 'B') ||
    setweight(to_tsvector('simple', catalog_search_text(coalesce("brand", ''))), 'B') ||
    setweight(to_tsvector('english', catalog_search_text(coalesce("short_description", ''))), 'C') ||
    setweight(to_tsvector('english', catalog_search_text(coalesce("description", ''))), 'D')) STORED,
  ADD COLUMN "title_vector" tsvector GENERATED ALWAYS AS (
    to_tsvector('english', catalog_search_text(coalesce("name", '') || ' ' || coalesce("brand", ''))) ||
    to_tsvector('simple', catalog_search_text(coalesce("name", '') || ' ' || coalesce("brand", '')))) STORED,
  ADD COLUMN "search_rank" double precision GENERATED ALWAYS AS (
    (floor(ln(1 + "rating_count") * (0.5 + "rating_avg" / 10) * 1000) * 2147483648 + "id")::double precision) STORED;--> statement-breakpoint
CREATE INDEX "products_search_vector_idx" ON "products" USING gin ("search_vector") WITH (fastupdate = off) WHERE "is_active";--> statement-breakpoint
CREATE INDEX "products_search_rank_idx" ON "products" USING btree ("search_rank" DESC) WHERE "is_active";--> statement-breakpoint
CREATE INDEX "products_lower_name_idx" ON "products" USING btree (lower("name")) WHERE "is_active";--> statement-breakpoint
-- RUM (Debian's postgresql-15-rum) keeps search_rank beside each posting, so the
-- matches of a word come out of the index already in rank order, without a
-- heap visit per match. Where the extension is not installed (the embedded PGlite,
-- a server without the package) these indexes are skipped and the app uses GIN
-- and a sort of the matches instead (it says so at start).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'rum') THEN
    CREATE EXTENSION IF NOT EXISTS rum;
    CREATE INDEX products_title_rum_idx ON products
      USING rum (title_vector rum_tsvector_addon_ops, search_rank)
      WITH (attach = 'search_rank', to = 'title_vector') WHERE is_active;
    CREATE INDEX products_search_rum_idx ON products
      USING rum (search_vector rum_tsvector_addon_ops, search_rank)
      WITH (attach = 'search_rank', to = 'search_vector') WHERE is_active;
  END IF;
END
$$;--> statement-breakpoint
-- Document frequency of every lexeme of active products, in all fields (ndoc) and in
-- names and brands (ntitle): the app reads it to choose a query plan and to drop words.
CREATE TABLE "catalog_search_terms" (
	"lexeme" text COLLATE "C" PRIMARY KEY NOT NULL,
	"ndoc" integer NOT NULL,
	"ntitle" integer NOT NULL
);--> statement-breakpoint
-- Rebuilds both vocabularies (spelling words and term statistics) from the active
-- products. Upsert plus delete instead of truncate-and-fill: readers keep a full
-- vocabulary throughout, and unchanged rows write no new versions.
CREATE OR REPLACE FUNCTION catalog_refresh_search_vocabulary() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  WITH fresh AS MATERIALIZED (
    SELECT word, ndoc FROM ts_stat($q$
      SELECT to_tsvector('simple', name || ' ' || coalesce(brand, '')) FROM products WHERE is_active
    $q$)
    WHERE length(word) BETWEEN 3 AND 64 AND word ~ '^[[:alpha:]][[:alnum:]]*$'
  ), gone AS (
    DELETE FROM catalog_search_words w WHERE NOT EXISTS (SELECT 1 FROM fresh f WHERE f.word = w.word)
  )
  INSERT INTO catalog_search_words (word, ndoc) SELECT word, ndoc FROM fresh
  ON CONFLICT (word) DO UPDATE SET ndoc = excluded.ndoc WHERE catalog_search_words.ndoc <> excluded.ndoc;

  WITH fresh AS MATERIALIZED (
    SELECT coalesce(a.word, t.word) AS lexeme, coalesce(a.ndoc, 0) AS ndoc, coalesce(t.ndoc, 0) AS ntitle
    FROM ts_stat('SELECT search_vector FROM products WHERE is_active') a
    FULL JOIN ts_stat('SELECT title_vector FROM products WHERE is_active') t ON t.word = a.word
  ), gone AS (
    DELETE FROM catalog_search_terms s WHERE NOT EXISTS (SELECT 1 FROM fresh f WHERE f.lexeme = s.lexeme)
  )
  INSERT INTO catalog_search_terms (lexeme, ndoc, ntitle) SELECT lexeme, ndoc, ntitle FROM fresh
  ON CONFLICT (lexeme) DO UPDATE SET ndoc = excluded.ndoc, ntitle = excluded.ntitle
  WHERE catalog_search_terms.ndoc <> excluded.ndoc OR catalog_search_terms.ntitle <> excluded.ntitle;
END
$$;--> statement-breakpoint
SELECT catalog_refresh_search_vocabulary();
