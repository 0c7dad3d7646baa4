-- Orders update products.stock_quantity on every purchase. Two things made each
-- of those updates cost every search afterwards:
--
-- 1. products_low_stock_idx indexed stock_quantity, so no stock update could be
--    a HOT update: each one added entries to all 17 indexes of products,
--    the two GIN indexes (about 50 lexemes, 30 trigrams per row) included. The
--    low-stock count (monitoring, configurable threshold the index did not
--    follow) reads the table instead, in the background.
-- 2. GIN fastupdate (the default) parks new entries in a pending list that
--    every search scans linearly until VACUUM merges it; with autovacuum late
--    or off it grew to 300 pages (2,445 entries) and searches paid for it on
--    every query. Inserts now go straight into the index: writes to the
--    catalogue are rare, searches are not.
--
-- fillfactor 90 leaves room on each page so the updated row version can stay
-- on its page (HOT). It applies to pages written from now on; a table filled
-- before it (an existing database) gets it with VACUUM FULL products.
DROP INDEX IF EXISTS "products_low_stock_idx";--> statement-breakpoint
ALTER INDEX "products_search_vector_idx" SET (fastupdate = off);--> statement-breakpoint
ALTER INDEX "products_name_trgm_idx" SET (fastupdate = off);--> statement-breakpoint
SELECT gin_clean_pending_list('products_search_vector_idx'::regclass);--> statement-breakpoint
SELECT gin_clean_pending_list('products_name_trgm_idx'::regclass);--> statement-breakpoint
ALTER TABLE "products" SET (fillfactor = 90);
