-- External writes reach the caches: triggers with NOTIFY (filled in by the scale-out work).
SELECT 1;
