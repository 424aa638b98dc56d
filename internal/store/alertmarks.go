package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
)

// Backlog is how many events wait in received, and since when.
func (s *Store) Backlog(ctx context.Context) (int, time.Time, error) {
	var row struct {
		N      int          `db:"n"`
		Oldest sql.NullTime `db:"oldest"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT count(*) AS n, min(received_at) AS oldest FROM webhook_events WHERE status = $1`, domain.StatusReceived)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: backlog: %w", err)
	}
	return row.N, row.Oldest.Time, nil
}

// SetAlertMark opens (or closes) the mark of key and reports whether this
// call changed it: of several processes seeing the same cause, one opens
// its incident and one closes it; closing a mark never opened changes
// nothing.
func (s *Store) SetAlertMark(ctx context.Context, key string, open bool) (bool, error) {
	q := `INSERT INTO alert_marks (key, open, opened_at) VALUES ($1, true, now())
		ON CONFLICT (key) DO UPDATE SET open = true, opened_at = now(), updated_at = now()
		WHERE NOT alert_marks.open
		RETURNING true`
	if !open {
		q = `UPDATE alert_marks SET open = false, updated_at = now() WHERE key = $1 AND open RETURNING true`
	}
	var changed bool
	err := s.db.GetContext(ctx, &changed, q, key)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: alert mark %s: %w", key, err)
	}
	return changed, nil
}
