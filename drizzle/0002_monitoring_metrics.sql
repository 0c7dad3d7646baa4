CREATE TABLE "metric_rollups" (
	"minute" timestamp with time zone NOT NULL,
	"instance_id" varchar(100) NOT NULL,
	"route" varchar(250) NOT NULL,
	"requests" integer NOT NULL,
	"errors" integer NOT NULL,
	"client_errors" integer NOT NULL,
	"rate_limited" integer NOT NULL,
	"p50_ms" real,
	"p95_ms" real,
	"p99_ms" real,
	"max_ms" real,
	"db_time_ms" double precision DEFAULT 0 NOT NULL,
	"cache_time_ms" double precision DEFAULT 0 NOT NULL,
	"cache_hits" integer,
	"cache_misses" integer,
	"db_queries" integer,
	"db_pool_in_use_max" integer,
	"db_pool_waiting_max" integer,
	"event_loop_p99_ms" real,
	"cpu_ratio" real,
	"rss_bytes" bigint,
	CONSTRAINT "metric_rollups_minute_instance_id_route_pk" PRIMARY KEY("minute","instance_id","route")
);
--> statement-breakpoint
CREATE INDEX "metric_rollups_all_routes_minute_idx" ON "metric_rollups" USING btree ("minute") WHERE "metric_rollups"."route" = '*';