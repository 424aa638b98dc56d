-- +goose Up
-- A payment recorded in one round trip: the lock RecordRefund and
-- AddPaymentRef also take (so that a refund and its payment arriving
-- together see each other), then the insert, unless a refund already
-- names the payment: then nothing is inserted (has_refunds), and the store
-- records the payment and settles its refunds in one transaction, as one
-- change. Each statement of a PL/pgSQL function reads what was committed
-- before it ran, so the check after the lock sees a refund committed while
-- the lock was held; a refund committed after it takes the lock after
-- this payment's commit, and settles the payment itself.
-- +goose StatementBegin
CREATE FUNCTION webhookd_record_payment(p_id TEXT, p_user_id TEXT, p_amount BIGINT, p_currency TEXT, p_status TEXT,
                                        OUT inserted BOOLEAN, OUT has_refunds BOOLEAN)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('payment:' || p_id, 0));
    -- Two EXISTS, each served by an index (refunds_payment_ref_idx,
    -- payment_refs_payment_id_idx).
    has_refunds := EXISTS (SELECT 1 FROM refunds WHERE payment_ref = p_id)
        OR EXISTS (SELECT 1 FROM payment_refs pr JOIN refunds r ON r.payment_ref = pr.ref WHERE pr.payment_id = p_id);
    inserted := false;
    IF has_refunds THEN
        RETURN;
    END IF;
    INSERT INTO payments (id, user_id, amount, currency, status) VALUES (p_id, p_user_id, p_amount, p_currency, p_status)
    ON CONFLICT (id) DO NOTHING;
    inserted := FOUND;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION webhookd_record_payment(TEXT, TEXT, BIGINT, TEXT, TEXT);
