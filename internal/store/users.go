package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
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
	// Created: ResolveUser created this user from the event.
	Created bool `db:"-"`
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

// CreateUser inserts the user unless its id exists, and reports whether it
// did. An address another user has is ErrInvalid (addresses are unique).
func (s *Store) CreateUser(ctx context.Context, id, address string) (bool, error) {
	if err := s.addressFree(ctx, id, address); err != nil {
		return false, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO users (id, email) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, address)
	if isClass(err, "23") {
		return false, fmt.Errorf("store: create user %s: %w: the address belongs to another user", id, ErrInvalid)
	}
	if err != nil {
		return false, fmt.Errorf("store: create user %s: %w", id, mapIndexRow(err))
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// addressFree is ErrInvalid when a user other than id has the address in
// any case: events find users by address case-insensitively.
func (s *Store) addressFree(ctx context.Context, id, address string) error {
	var taken bool
	if err := s.db.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($2) AND id <> $1)`, id, address); err != nil {
		return fmt.Errorf("store: user address: %w", mapIndexRow(err))
	}
	if taken {
		return fmt.Errorf("store: user %s: %w: the address belongs to another user", id, ErrInvalid)
	}
	return nil
}

// PutUser creates the user or sets its address, and reports whether it
// created it; a new address starts valid (its bounces were the old one's).
// An address another user has is ErrInvalid.
func (s *Store) PutUser(ctx context.Context, id, address string) (bool, error) {
	if err := s.addressFree(ctx, id, address); err != nil {
		return false, err
	}
	var created bool
	err := s.db.GetContext(ctx, &created, `
		INSERT INTO users (id, email) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, updated_at = now(),
			email_valid = users.email_valid OR users.email <> EXCLUDED.email,
			email_bounce_type = CASE WHEN users.email <> EXCLUDED.email THEN NULL ELSE users.email_bounce_type END
		RETURNING (xmax = 0)`, id, address)
	if isClass(err, "23") {
		return false, fmt.Errorf("store: put user %s: %w: the address belongs to another user", id, ErrInvalid)
	}
	if err != nil {
		return false, fmt.Errorf("store: put user %s: %w", id, mapIndexRow(err))
	}
	return created, nil
}

// GetUser returns a user; ErrUnknownUser when there is none.
func (s *Store) GetUser(ctx context.Context, id string) (User, error) {
	return getOne[User](ctx, s.db, fmt.Sprintf("user %q", id), ErrUnknownUser, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
}

// RecordBounce stores the bounce type on the users with these addresses
// (case-insensitive) and, for a permanent bounce (invalidate), marks their
// address undeliverable. It reports whether a user matched.
func (s *Store) RecordBounce(ctx context.Context, addresses []string, bounceType string, invalidate bool) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET email_valid = email_valid AND NOT $3,
		email_bounce_type = NULLIF($2, ''), updated_at = now()
		WHERE lower(email) = ANY($1)`, pq.Array(lower(addresses)), bounceType, invalidate)
	if err != nil {
		return false, fmt.Errorf("store: record bounce: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// OptOutMarketing opts the users with these addresses out of marketing
// email.
func (s *Store) OptOutMarketing(ctx context.Context, addresses []string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET marketing_opt_out = true, updated_at = now()
		WHERE lower(email) = ANY($1)`, pq.Array(lower(addresses)))
	if err != nil {
		return false, fmt.Errorf("store: opt out marketing: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}
