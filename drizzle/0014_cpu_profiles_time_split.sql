-- CPU profiles carry where the requests of their capture window spent their time: database,
-- connection-pool wait, Redis and CPU in the app (from each request's timings), per route, with
-- each route's dominant named queries and the verdict (which of the four dominates). Profiles
-- stored before this have none (NULL).
ALTER TABLE "cpu_profiles" ADD COLUMN "time_split" jsonb;
