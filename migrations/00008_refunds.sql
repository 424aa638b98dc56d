-- +goose Up
-- Refunds are money events of their own, keyed by the provider's refund
-- id, so that two partial refunds add up and a redelivery changes nothing.
-- A payment's refunded_amount and status are computed from them.
CREATE TABLE refunds (
    -- The provider's refund id; "charge:<id>" for the running total a
    -- Stripe charge.refunded reports (running_total).
    id            TEXT PRIMARY KEY,
    provider      TEXT        NOT NULL,
    -- The payment's id, or another reference of it (payment_refs): a
    -- Stripe refund names the PaymentIntent of an invoice's payment.
    payment_ref   TEXT        NOT NULL,
    amount        BIGINT      NOT NULL CHECK (amount >= 0),
    currency      TEXT        NOT NULL,
    -- succeeded and pending count; failed and canceled do not.
    status        TEXT        NOT NULL,
    running_total BOOLEAN     NOT NULL DEFAULT false,
    -- full: the whole payment, whatever its amount (a Dodo refund whose
    -- amount is not given).
    full_refund   BOOLEAN     NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment_ref_idx ON refunds (payment_ref);

-- Other names of a payment: the PaymentIntent that paid a Stripe invoice
-- (the payment's id is the invoice's). Either may arrive first.
CREATE TABLE payment_refs (
    ref        TEXT PRIMARY KEY,
    payment_id TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payment_refs_payment_id_idx ON payment_refs (payment_id);

-- +goose Down
DROP TABLE payment_refs;
DROP TABLE refunds;
