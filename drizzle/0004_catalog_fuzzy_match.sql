-- Catalog spelling correction: levenshtein() finds near words that share too few
-- trigrams for pg_trgm (short words, transposed letters: "phnoe" -> "phone").
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
