-- +goose Up
-- Whose event it was, once its run resolved the user: the product API lists
-- a user's events by it, and an erasure finds the payloads to delete.
ALTER TABLE webhook_events ADD COLUMN user_id TEXT;
CREATE INDEX webhook_events_user_id_idx ON webhook_events (user_id, received_at DESC) WHERE user_id IS NOT NULL;

-- +goose Down
DROP INDEX webhook_events_user_id_idx;
ALTER TABLE webhook_events DROP COLUMN user_id;
