-- +goose Up
-- Where a message that later ones follow up was posted on a threaded sink
-- (Slack with a bot token): a dispute's opening, so that its outcome is a
-- reply in the same thread. One row per thread key and sink.
CREATE TABLE alert_threads (
    key        TEXT        NOT NULL,
    sink       TEXT        NOT NULL,
    ref        TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (key, sink)
);

-- +goose Down
DROP TABLE alert_threads;
