-- +goose Up
-- The envelope's data object (the workflow input), stored once by the
-- ingress so that anything starting a run reads it from the row instead of
-- parsing the envelope again with the provider's configuration.
ALTER TABLE webhook_events ADD COLUMN data JSONB;

-- Rows recorded before the column existed: the data object where each
-- scheme's default puts it. A Stripe event (top-level "object": "event")
-- keeps it in data.object, a standard-webhooks or hmac-hex envelope in data,
-- and a GitHub delivery (no data key) is its whole body. A provider with a
-- custom data location configured should replay such rows only after
-- checking `webhookd events show`.
UPDATE webhook_events SET data = CASE
    WHEN payload->>'object' = 'event' AND jsonb_typeof(payload->'data'->'object') = 'object'
        THEN payload->'data'->'object'
    WHEN jsonb_typeof(payload->'data') IS NOT NULL AND jsonb_typeof(payload->'data') <> 'null'
        THEN payload->'data'
    WHEN payload ? 'data' THEN NULL
    ELSE payload
END;

-- +goose Down
ALTER TABLE webhook_events DROP COLUMN data;
