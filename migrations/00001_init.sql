-- +goose Up
CREATE TABLE webhook_events (
    id            BIGSERIAL PRIMARY KEY,
    provider      TEXT        NOT NULL,
    event_id      TEXT        NOT NULL,
    event_type    TEXT        NOT NULL,
    payload       JSONB       NOT NULL,
    status        TEXT        NOT NULL DEFAULT 'received'
                  CHECK (status IN ('received', 'dispatched', 'succeeded', 'failed', 'ignored')),
    workflow_id   TEXT        NOT NULL,
    run_id        TEXT,
    attempts      INTEGER     NOT NULL DEFAULT 0,
    last_error    TEXT,
    received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    occurred_at   TIMESTAMPTZ,
    dispatched_at TIMESTAMPTZ,
    processed_at  TIMESTAMPTZ,
    CONSTRAINT webhook_events_provider_event_id_key UNIQUE (provider, event_id)
);
-- The dispatcher scans for events recorded but never handed to Temporal.
CREATE INDEX webhook_events_undispatched_idx ON webhook_events (received_at) WHERE status = 'received';
CREATE INDEX webhook_events_status_received_idx ON webhook_events (status, received_at DESC);

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    email             TEXT        NOT NULL UNIQUE,
    plan              TEXT        NOT NULL DEFAULT 'free',
    plan_updated_at   TIMESTAMPTZ,
    email_valid       BOOLEAN     NOT NULL DEFAULT true,
    email_bounce_type TEXT,
    marketing_opt_out BOOLEAN     NOT NULL DEFAULT false,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE subscriptions (
    id                   TEXT PRIMARY KEY,
    user_id              TEXT        NOT NULL REFERENCES users (id),
    plan                 TEXT        NOT NULL,
    status               TEXT        NOT NULL CHECK (status IN ('active', 'canceled', 'past_due')),
    current_period_end   TIMESTAMPTZ,
    cancel_at_period_end BOOLEAN     NOT NULL DEFAULT false,
    -- occurred_at of the newest event applied; older events never overwrite newer state.
    source_occurred_at   TIMESTAMPTZ NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_user_id_idx ON subscriptions (user_id);

CREATE TABLE payments (
    id         TEXT PRIMARY KEY,
    user_id    TEXT        NOT NULL REFERENCES users (id),
    amount     BIGINT      NOT NULL CHECK (amount >= 0),
    currency   TEXT        NOT NULL,
    status     TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payments_user_id_idx ON payments (user_id);

CREATE TABLE email_logs (
    id                  BIGSERIAL PRIMARY KEY,
    idempotency_key     TEXT        NOT NULL UNIQUE,
    user_id             TEXT REFERENCES users (id),
    to_address          TEXT        NOT NULL,
    template            TEXT        NOT NULL,
    status              TEXT        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
    provider_message_id TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at             TIMESTAMPTZ,
    delivered_at        TIMESTAMPTZ,
    opened_at           TIMESTAMPTZ
);
CREATE INDEX email_logs_provider_message_id_idx ON email_logs (provider_message_id);

-- +goose Down
DROP TABLE email_logs;
DROP TABLE payments;
DROP TABLE subscriptions;
DROP TABLE users;
DROP TABLE webhook_events;
