-- +goose Up
-- The ingress records a new event as dispatched in the same statement that
-- inserts it, then starts its run. The dispatcher finds the rows whose start
-- never happened (the process died in between) or whose run ID is not known
-- yet among these.
CREATE INDEX webhook_events_runless_idx ON webhook_events (dispatched_at)
    WHERE status = 'dispatched' AND run_id IS NULL;

-- +goose Down
DROP INDEX webhook_events_runless_idx;
