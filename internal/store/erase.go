package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Erased is what an erasure removed. Tombstone is the id the user's
// payments, subscriptions and events now carry (empty when there was no
// such user); WorkflowIDs are the runs of the user's events, whose
// histories the caller deletes from Temporal.
type Erased struct {
	Tombstone     string   `json:"tombstone,omitempty"`
	User          bool     `json:"user"`
	Payments      int64    `json:"payments_kept_under_tombstone"`
	Subscriptions int64    `json:"subscriptions_kept_under_tombstone"`
	EmailLogs     int64    `json:"email_addresses_removed"`
	CustomerLinks int64    `json:"customer_links_removed"`
	Payloads      int64    `json:"event_payloads_removed"`
	WorkflowIDs   []string `json:"-"`
}

// EraseUser removes a person: their row and address, the addresses in
// email_logs, their customer links and the payloads of their events;
// payments, subscriptions, email logs and event rows stay for the books
// under a random tombstone id, which says nothing of who it was. An
// unknown id erases nothing (an erasure is idempotent).
func (s *Store) EraseUser(ctx context.Context, id string) (Erased, error) {
	var out Erased
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var address string
		err := tx.GetContext(ctx, &address, `SELECT email FROM users WHERE id = $1 FOR UPDATE`, id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		buf := make([]byte, 12)
		_, _ = rand.Read(buf)
		out.Tombstone, out.User = "erased_"+hex.EncodeToString(buf), true
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, email_valid, marketing_opt_out) VALUES ($1, $1 || '@erased.invalid', false, true)`, out.Tombstone); err != nil {
			return err
		}
		for _, step := range []struct {
			n    *int64
			q    string
			args []any
		}{
			{&out.Payments, `UPDATE payments SET user_id = $2 WHERE user_id = $1`, []any{id, out.Tombstone}},
			{&out.Subscriptions, `UPDATE subscriptions SET user_id = $2 WHERE user_id = $1`, []any{id, out.Tombstone}},
			{&out.EmailLogs, `UPDATE email_logs SET user_id = $2, to_address = '' WHERE user_id = $1 OR lower(to_address) = lower($3)`, []any{id, out.Tombstone, address}},
			{&out.CustomerLinks, `DELETE FROM customer_links WHERE user_id = $1`, []any{id}},
		} {
			res, err := tx.ExecContext(ctx, step.q, step.args...)
			if err != nil {
				return err
			}
			*step.n, _ = res.RowsAffected()
		}
		if err := tx.SelectContext(ctx, &out.WorkflowIDs, `
			UPDATE webhook_events SET user_id = $2, payload = NULL, data = NULL, payload_purged_at = COALESCE(payload_purged_at, now())
			WHERE user_id = $1 RETURNING workflow_id`, id, out.Tombstone); err != nil {
			return err
		}
		out.Payloads = int64(len(out.WorkflowIDs))
		_, err = tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return Erased{}, fmt.Errorf("store: erase user: %w", err)
	}
	return out, nil
}

// PurgeEventPayloads deletes the payloads of the events of these runs
// (an erasure's runs that Temporal knows and the database did not tie to
// the user) and reports how many it deleted.
func (s *Store) PurgeEventPayloads(ctx context.Context, workflowIDs []string) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE webhook_events SET payload = NULL, data = NULL, payload_purged_at = now()
		WHERE workflow_id = ANY($1) AND payload_purged_at IS NULL`, pq.Array(workflowIDs))
	if err != nil {
		return 0, fmt.Errorf("store: purge event payloads: %w", err)
	}
	return res.RowsAffected()
}
