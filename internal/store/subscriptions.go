package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SubscriptionChange is a subscription snapshot carried by one event.
type SubscriptionChange struct {
	ID                string
	UserID            string
	Plan              string // empty keeps the stored plan
	Status            string
	CurrentPeriodEnd  *time.Time
	CancelAtPeriodEnd *bool
	UserPlan          string // empty leaves the user's plan alone
	OccurredAt        time.Time
}

// Subscription is a row of subscriptions.
type Subscription struct {
	ID                string       `db:"id"`
	UserID            string       `db:"user_id"`
	Plan              string       `db:"plan"`
	Status            string       `db:"status"`
	CurrentPeriodEnd  sql.NullTime `db:"current_period_end"`
	CancelAtPeriodEnd bool         `db:"cancel_at_period_end"`
	SourceOccurredAt  time.Time    `db:"source_occurred_at"`
	CreatedAt         time.Time    `db:"created_at"`
	UpdatedAt         time.Time    `db:"updated_at"`
}

// ApplySubscription upserts the subscription and, in the same transaction,
// the user's plan. A snapshot older than the stored one changes nothing and
// returns false. Applying the same snapshot twice yields the same state.
func (s *Store) ApplySubscription(ctx context.Context, c SubscriptionChange) (bool, error) {
	switch c.Status {
	case "active", "canceled", "past_due", "paused", "pending":
	default:
		return false, fmt.Errorf("store: subscription %q: status %q: %w", c.ID, c.Status, ErrInvalid)
	}
	if c.ID == "" || c.UserID == "" || c.OccurredAt.IsZero() {
		return false, fmt.Errorf("store: subscription %q: id, user id and occurred-at are required: %w", c.ID, ErrInvalid)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: apply subscription %s: %w", c.ID, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var periodEnd sql.NullTime
	if c.CurrentPeriodEnd != nil {
		periodEnd = sql.NullTime{Time: *c.CurrentPeriodEnd, Valid: true}
	}
	var cancel sql.NullBool
	if c.CancelAtPeriodEnd != nil {
		cancel = sql.NullBool{Bool: *c.CancelAtPeriodEnd, Valid: true}
	}
	var applied bool
	err = tx.GetContext(ctx, &applied, `
		INSERT INTO subscriptions AS s (id, user_id, plan, status, current_period_end, cancel_at_period_end, source_occurred_at)
		VALUES ($1, $2, COALESCE(NULLIF($3, ''), 'unknown'), $4, $5, COALESCE($6, false), $7)
		ON CONFLICT (id) DO UPDATE SET
			plan = COALESCE(NULLIF($3, ''), s.plan),
			status = EXCLUDED.status,
			current_period_end = COALESCE($5, s.current_period_end),
			cancel_at_period_end = COALESCE($6, s.cancel_at_period_end),
			source_occurred_at = EXCLUDED.source_occurred_at,
			updated_at = now()
		WHERE s.source_occurred_at <= EXCLUDED.source_occurred_at
		RETURNING true`, c.ID, c.UserID, c.Plan, c.Status, periodEnd, cancel, c.OccurredAt)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // a newer event already applied
	}
	if err != nil {
		return false, fmt.Errorf("store: apply subscription %s: %w", c.ID, mapUserFK(err, c.UserID))
	}
	if c.UserPlan != "" {
		_, err = tx.ExecContext(ctx, `
			UPDATE users SET plan = $2, plan_updated_at = $3, updated_at = now()
			WHERE id = $1 AND (plan_updated_at IS NULL OR plan_updated_at <= $3)`, c.UserID, c.UserPlan, c.OccurredAt)
		if err != nil {
			return false, fmt.Errorf("store: apply subscription %s: user plan: %w", c.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: apply subscription %s: commit: %w", c.ID, err)
	}
	return true, nil
}

// GetSubscription returns a subscription by id.
func (s *Store) GetSubscription(ctx context.Context, id string) (Subscription, error) {
	return getOne[Subscription](ctx, s.db, "subscription "+id, ErrNotFound, `SELECT id, user_id, plan, status,
		current_period_end, cancel_at_period_end, source_occurred_at, created_at, updated_at FROM subscriptions WHERE id = $1`, id)
}

// UserSubscriptions lists a user's subscriptions, the latest changed first.
func (s *Store) UserSubscriptions(ctx context.Context, userID string) ([]Subscription, error) {
	var subs []Subscription
	err := s.db.SelectContext(ctx, &subs, `SELECT id, user_id, plan, status, current_period_end, cancel_at_period_end,
		source_occurred_at, created_at, updated_at FROM subscriptions WHERE user_id = $1 ORDER BY updated_at DESC, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: subscriptions of %s: %w", userID, err)
	}
	return subs, nil
}
