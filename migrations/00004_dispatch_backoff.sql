-- +goose Up
-- When the sweep may try an event's start again after a start error that
-- concerned that event alone (a rate limit, a server error): the sweep
-- skips it until then and goes on with the others.
ALTER TABLE webhook_events ADD COLUMN next_dispatch_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE webhook_events DROP COLUMN next_dispatch_at;
