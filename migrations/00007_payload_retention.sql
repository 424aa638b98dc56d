-- +goose Up
-- Raw envelopes (and their data object) are deleted after the payload
-- retention; the row stays as the event's audit record (ids, type, status,
-- times, last error), with the time its payload went.
ALTER TABLE webhook_events ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE webhook_events ADD COLUMN payload_purged_at TIMESTAMPTZ;
-- The retention sweep walks the oldest rows still holding a payload.
CREATE INDEX webhook_events_unpurged_idx ON webhook_events (received_at) WHERE payload_purged_at IS NULL;

-- +goose Down
DROP INDEX webhook_events_unpurged_idx;
ALTER TABLE webhook_events DROP COLUMN payload_purged_at;
UPDATE webhook_events SET payload = '{}'::jsonb WHERE payload IS NULL;
ALTER TABLE webhook_events ALTER COLUMN payload SET NOT NULL;
