package store

import (
	"context"
	"fmt"
	"time"
)

// Payment is a row of payments.
type Payment struct {
	ID        string    `db:"id"`
	UserID    string    `db:"user_id"`
	Amount    int64     `db:"amount"`
	Currency  string    `db:"currency"`
	Status    string    `db:"status"`
	CreatedAt time.Time `db:"created_at"`
}

// RecordPayment inserts a payment once and reports whether it was new.
func (s *Store) RecordPayment(ctx context.Context, p Payment) (bool, error) {
	if p.ID == "" || p.UserID == "" || p.Currency == "" || p.Amount < 0 {
		return false, fmt.Errorf("store: record payment %q: %w: id, user id, currency and a non-negative amount are required", p.ID, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO payments (id, user_id, amount, currency, status) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING`, p.ID, p.UserID, p.Amount, p.Currency, p.Status)
	if err != nil {
		return false, fmt.Errorf("store: record payment %s: %w", p.ID, mapUserFK(err, p.UserID))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Payments lists a user's payments, oldest first.
func (s *Store) Payments(ctx context.Context, userID string) ([]Payment, error) {
	var ps []Payment
	err := s.db.SelectContext(ctx, &ps, `SELECT id, user_id, amount, currency, status, created_at FROM payments WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: payments of %s: %w", userID, err)
	}
	return ps, nil
}

// RefundPayment marks a payment refunded with the amount refunded so far
// (the largest reported). It reports whether the payment is known.
func (s *Store) RefundPayment(ctx context.Context, paymentID string, amount int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE payments SET status = 'refunded',
		refunded_amount = GREATEST(COALESCE(refunded_amount, 0), $2) WHERE id = $1`, paymentID, amount)
	if err != nil {
		return false, fmt.Errorf("store: refund payment %s: %w", paymentID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
