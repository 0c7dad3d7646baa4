-- Order placement in one round trip (src/modules/orders/orders.repository.ts `place`).
--
-- Checkout as a transaction of about ten statements sent one by one would,
-- under load, wait for the busy Node event loop before each of them while the
-- transaction holds a pool connection and the best sellers' row locks. This
-- function does the work inside PostgreSQL, so the locks are held for
-- the time the work takes and no longer. It runs at the caller's READ
-- COMMITTED level: every decision is made on rows it has locked (the cart
-- lines, then the products in id order), and each statement of a VOLATILE
-- function sees what was committed before it.
--
-- Returns one jsonb value:
--   {"status": "placed", "order": <the API's Order>, "stock": [{"product_id", "before", "after"}]}
--   {"status": "empty"}                          the cart has no lines
--   {"status": "short", "shortages": [{"product_id", "name", "requested", "available"}]}
--                                                nothing was written
-- With an idempotency key, the caller's claim (identified by its token, the
-- claim's created_at) is completed with the order in the same transaction; a
-- claim taken over meanwhile raises SQLSTATE TMI01 so the whole order rolls back.
CREATE OR REPLACE FUNCTION place_order(
  p_user_id integer,
  p_order_number varchar,
  p_shipping_address text,
  p_billing_address text,
  p_payment_method varchar,
  p_notes text,
  p_idempotency_key varchar DEFAULT NULL,
  p_claim_token timestamptz DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  v_ids integer[];
  v_quantities integer[];
  v_shortages jsonb;
  v_decremented integer;
  v_order orders;
  v_items jsonb;
  v_stock jsonb;
  v_response jsonb;
BEGIN
  -- The cart's lines, locked: a second checkout of the same cart waits here and then finds it empty.
  SELECT array_agg(c.product_id ORDER BY c.product_id), array_agg(c.quantity ORDER BY c.product_id)
  INTO v_ids, v_quantities
  FROM (SELECT product_id, quantity FROM cart_items WHERE user_id = p_user_id ORDER BY product_id FOR UPDATE) AS c;
  IF v_ids IS NULL THEN
    RETURN jsonb_build_object('status', 'empty');
  END IF;

  -- The products, locked in ascending id order (sorted before the locks are taken), so two
  -- multi-line orders always queue in the same order and cannot deadlock.
  PERFORM 1 FROM products WHERE id = ANY(v_ids) ORDER BY id FOR NO KEY UPDATE;

  -- All or nothing: every line short of stock (an inactive or missing product has none).
  SELECT jsonb_agg(jsonb_build_object(
           'product_id', l.product_id, 'name', p.name, 'requested', l.quantity,
           'available', CASE WHEN p.is_active THEN p.stock_quantity ELSE 0 END) ORDER BY l.product_id)
  INTO v_shortages
  FROM unnest(v_ids, v_quantities) AS l (product_id, quantity)
  LEFT JOIN products p ON p.id = l.product_id
  WHERE coalesce(CASE WHEN p.is_active THEN p.stock_quantity END, 0) < l.quantity;
  IF v_shortages IS NOT NULL THEN
    RETURN jsonb_build_object('status', 'short', 'shortages', v_shortages);
  END IF;

  -- Conditional decrement: even without the locks above, stock could not go below zero.
  UPDATE products AS p
  SET stock_quantity = p.stock_quantity - l.quantity, updated_at = now()
  FROM unnest(v_ids, v_quantities) AS l (product_id, quantity)
  WHERE p.id = l.product_id AND p.is_active AND p.stock_quantity >= l.quantity;
  GET DIAGNOSTICS v_decremented = ROW_COUNT;
  IF v_decremented <> cardinality(v_ids) THEN
    RAISE EXCEPTION 'stock decrement touched % of % locked products', v_decremented, cardinality(v_ids);
  END IF;

  -- Prices are copied from the locked products (the sale price when set); totals in numeric, never float.
  INSERT INTO orders (order_number, user_id, total_amount, shipping_address, billing_address, payment_method, notes)
  SELECT p_order_number, p_user_id, sum(l.quantity * p.effective_price), p_shipping_address, p_billing_address, p_payment_method, p_notes
  FROM unnest(v_ids, v_quantities) AS l (product_id, quantity)
  JOIN products p ON p.id = l.product_id
  RETURNING * INTO v_order;

  INSERT INTO order_items (order_id, product_id, quantity, unit_price, total_price)
  SELECT v_order.id, l.product_id, l.quantity, p.effective_price, l.quantity * p.effective_price
  FROM unnest(v_ids, v_quantities) AS l (product_id, quantity)
  JOIN products p ON p.id = l.product_id
  ORDER BY l.product_id;

  DELETE FROM cart_items WHERE user_id = p_user_id;

  -- The response, in the shape of the API's Order (orders.service.ts toOrder, which GET /orders/:id
  -- uses): money as JSON numbers, timestamps in UTC with milliseconds like Date#toISOString.
  SELECT jsonb_agg(jsonb_build_object(
           'product_id', oi.product_id, 'product_name', p.name, 'quantity', oi.quantity,
           'unit_price', oi.unit_price, 'total_price', oi.total_price) ORDER BY oi.id)
  INTO v_items
  FROM order_items oi JOIN products p ON p.id = oi.product_id
  WHERE oi.order_id = v_order.id;
  SELECT jsonb_agg(jsonb_build_object('product_id', l.product_id, 'before', p.stock_quantity + l.quantity, 'after', p.stock_quantity)
                   ORDER BY l.product_id)
  INTO v_stock
  FROM unnest(v_ids, v_quantities) AS l (product_id, quantity)
  JOIN products p ON p.id = l.product_id;
  v_response := jsonb_build_object(
    'id', v_order.id,
    'order_number', v_order.order_number,
    'user_id', v_order.user_id,
    'status', v_order.status,
    'payment_status', v_order.payment_status,
    'total_amount', v_order.total_amount,
    'shipping_address', v_order.shipping_address,
    'billing_address', v_order.billing_address,
    'payment_method', v_order.payment_method,
    'notes', v_order.notes,
    'items', v_items,
    'created_at', to_char(v_order.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(v_order.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'shipped_at', to_char(v_order.shipped_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'delivered_at', to_char(v_order.delivered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));

  IF p_idempotency_key IS NOT NULL THEN
    UPDATE idempotency_keys SET status_code = 201, response = v_response
    WHERE user_id = p_user_id AND key = p_idempotency_key AND created_at = p_claim_token AND status_code IS NULL;
    IF NOT FOUND THEN
      -- A retry took the claim over as stale: undo this order rather than make a second one.
      RAISE EXCEPTION 'idempotency claim for key % was taken over', p_idempotency_key USING ERRCODE = 'TMI01';
    END IF;
  END IF;

  RETURN jsonb_build_object('status', 'placed', 'order', v_response, 'stock', v_stock);
END
$$;
