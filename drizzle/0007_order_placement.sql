-- Order placement in one round trip (filled in by the orders work).
SELECT 1;
