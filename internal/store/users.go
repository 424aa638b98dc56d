package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// User is a row of users.
type User struct {
	ID              string         `db:"id"`
	Email           string         `db:"email"`
	Plan            string         `db:"plan"`
	PlanUpdatedAt   sql.NullTime   `db:"plan_updated_at"`
	EmailValid      bool           `db:"email_valid"`
	EmailBounceType sql.NullString `db:"email_bounce_type"`
	MarketingOptOut bool           `db:"marketing_opt_out"`
	CreatedAt       time.Time      `db:"created_at"`
	UpdatedAt       time.Time      `db:"updated_at"`
}

// UpsertUser creates the user or updates its email address.
func (s *Store) UpsertUser(ctx context.Context, id, address string) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO users (id, email) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, updated_at = now()
		WHERE users.email <> EXCLUDED.email`, id, address)
	if err != nil {
		return fmt.Errorf("store: upsert user %s: %w", id, err)
	}
	return nil
}

// GetUser returns a user; ErrUnknownUser when there is none.
func (s *Store) GetUser(ctx context.Context, id string) (User, error) {
	return getOne[User](ctx, s.db, fmt.Sprintf("user %q", id), ErrUnknownUser, `SELECT id, email, plan, plan_updated_at,
		email_valid, email_bounce_type, marketing_opt_out, created_at, updated_at FROM users WHERE id = $1`, id)
}

// MarkEmailInvalid flags the address as undeliverable with the bounce type.
func (s *Store) MarkEmailInvalid(ctx context.Context, address, bounceType string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET email_valid = false, email_bounce_type = NULLIF($2, ''), updated_at = now()
		WHERE lower(email) = lower($1)`, address, bounceType)
	if err != nil {
		return false, fmt.Errorf("store: mark email invalid: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// OptOutMarketing opts the address's user out of marketing email.
func (s *Store) OptOutMarketing(ctx context.Context, address string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET marketing_opt_out = true, updated_at = now()
		WHERE lower(email) = lower($1)`, address)
	if err != nil {
		return false, fmt.Errorf("store: opt out marketing: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
