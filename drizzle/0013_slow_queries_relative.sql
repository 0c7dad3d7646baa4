-- Slow-query captures say why they were taken: `absolute` (one execution slower than
-- SLOW_QUERY_MS) or `relative` (the named query's p95 over a short window rose to
-- SLOW_QUERY_RELATIVE_FACTOR times its own baseline, with both figures kept), and carry
-- their one-line summary ("catalog.search_rum: p95 45 ms, normally 3.1 ms, plan: Seq Scan
-- on products"). Existing rows are absolute captures; their summary is built when read.
ALTER TABLE "slow_queries" ADD COLUMN "reason" varchar(16) DEFAULT 'absolute' NOT NULL;--> statement-breakpoint
ALTER TABLE "slow_queries" ADD COLUMN "p95_ms" double precision;--> statement-breakpoint
ALTER TABLE "slow_queries" ADD COLUMN "baseline_ms" double precision;--> statement-breakpoint
ALTER TABLE "slow_queries" ADD COLUMN "window_samples" integer;--> statement-breakpoint
ALTER TABLE "slow_queries" ADD COLUMN "summary" varchar(300) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "slow_queries" ADD CONSTRAINT "slow_queries_reason_check" CHECK ("reason" IN ('absolute', 'relative'));
