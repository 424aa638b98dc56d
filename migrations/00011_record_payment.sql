-- +goose Up
-- A payment recorded in one round trip: the lock RecordRefund also takes
-- (so that a refund and its payment arriving together see each other),
-- the insert, and whether refunds wait for the payment. Each statement of
-- a PL/pgSQL function reads what was committed before it ran, so the
-- check after the lock sees a refund committed while the lock was held.
-- The store settles those refunds (rare) in a transaction of its own.
-- +goose StatementBegin
CREATE FUNCTION webhookd_record_payment(p_id TEXT, p_user_id TEXT, p_amount BIGINT, p_currency TEXT, p_status TEXT,
                                        OUT inserted BOOLEAN, OUT has_refunds BOOLEAN)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('payment:' || p_id, 0));
    INSERT INTO payments (id, user_id, amount, currency, status) VALUES (p_id, p_user_id, p_amount, p_currency, p_status)
    ON CONFLICT (id) DO NOTHING;
    inserted := FOUND;
    has_refunds := EXISTS (SELECT 1 FROM refunds
        WHERE payment_ref = p_id OR payment_ref IN (SELECT ref FROM payment_refs WHERE payment_id = p_id));
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION webhookd_record_payment(TEXT, TEXT, BIGINT, TEXT, TEXT);
