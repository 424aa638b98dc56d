-- +goose Up
-- Incidents that must get out without Temporal (a backlog while Temporal
-- is unreachable): one row per cause, so that of several workers one posts
-- the incident and one its resolution.
CREATE TABLE alert_marks (
    key        TEXT PRIMARY KEY,
    open       BOOLEAN     NOT NULL DEFAULT false,
    opened_at  TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE alert_marks;
