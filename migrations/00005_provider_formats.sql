-- +goose Up
-- The provider's format settings at receipt (format, metadata key, plan
-- map), so that whatever starts the event's run normalizes it as the
-- ingress would have.
ALTER TABLE webhook_events ADD COLUMN format JSONB;

-- Who a provider's customer is: learned whenever an event resolves a user
-- and carries the provider's customer id, used by later events that carry
-- only the customer id.
CREATE TABLE customer_links (
    provider    TEXT        NOT NULL,
    customer_id TEXT        NOT NULL,
    user_id     TEXT        NOT NULL REFERENCES users (id),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, customer_id)
);

ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status_check
    CHECK (status IN ('active', 'canceled', 'past_due', 'paused', 'pending'));

ALTER TABLE payments ADD COLUMN refunded_amount BIGINT;
ALTER TABLE email_logs ADD COLUMN clicked_at TIMESTAMPTZ;
CREATE INDEX users_lower_email_idx ON users (lower(email));

-- +goose Down
DROP INDEX users_lower_email_idx;
ALTER TABLE email_logs DROP COLUMN clicked_at;
ALTER TABLE payments DROP COLUMN refunded_amount;
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status_check
    CHECK (status IN ('active', 'canceled', 'past_due'));
DROP TABLE customer_links;
ALTER TABLE webhook_events DROP COLUMN format;
