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

// AlertThread is where the message of a thread key was posted, by sink
// name (empty when it never was).
func (s *Store) AlertThread(ctx context.Context, key string) (map[string]string, error) {
	var rows []struct {
		Sink string `db:"sink"`
		Ref  string `db:"ref"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT sink, ref FROM alert_threads WHERE key = $1`, key); err != nil {
		return nil, fmt.Errorf("store: alert thread: %w", err)
	}
	refs := make(map[string]string, len(rows))
	for _, r := range rows {
		refs[r.Sink] = r.Ref
	}
	return refs, nil
}

// SaveAlertThread keeps where a thread key's message was posted; a sink's
// first reference stays.
func (s *Store) SaveAlertThread(ctx context.Context, key string, refs map[string]string) error {
	for sink, ref := range refs {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO alert_threads (key, sink, ref) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, key, sink, ref); err != nil {
			return fmt.Errorf("store: save alert thread: %w", err)
		}
	}
	return nil
}
