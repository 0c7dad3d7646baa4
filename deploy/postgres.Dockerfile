# PostgreSQL 15 with the RUM extension, which catalog search uses to take the matches of a
# word from the index already in rank order (migration 0012 builds its indexes when the
# extension is available; without it search falls back to GIN).
FROM postgres:15
RUN apt-get update \
  && apt-get install -y --no-install-recommends postgresql-15-rum \
  && rm -rf /var/lib/apt/lists/*
