package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Payment is a row of payments.
type Payment struct {
	ID        string    `db:"id"`
	UserID    string    `db:"user_id"`
	Amount    int64     `db:"amount"`
	Currency  string    `db:"currency"`
	Status    string    `db:"status"`
	CreatedAt time.Time `db:"created_at"`
	// RefundedAmount is the sum of the payment's refunds (refunds.go).
	RefundedAmount sql.NullInt64 `db:"refunded_amount"`
}

// RecordPayment inserts a payment once and reports whether it was new. A
// new payment counts the refunds that came before it.
//
// One statement does the common case (webhookd_record_payment: the lock,
// then the insert unless a refund already names the payment). A payment
// whose refunds came first is recorded and settled in one transaction, so
// that its row never shows without them and a retry still reports the
// insert.
func (s *Store) RecordPayment(ctx context.Context, p Payment) (bool, error) {
	if p.ID == "" || p.UserID == "" || p.Currency == "" || p.Amount < 0 {
		return false, fmt.Errorf("store: record payment %q: %w: id, user id, currency and a non-negative amount are required", p.ID, ErrInvalid)
	}
	var r struct {
		Inserted   bool `db:"inserted"`
		HasRefunds bool `db:"has_refunds"`
	}
	err := s.db.GetContext(ctx, &r, `SELECT inserted, has_refunds FROM webhookd_record_payment($1, $2, $3, $4, $5)`,
		p.ID, p.UserID, p.Amount, p.Currency, p.Status)
	if err != nil {
		return false, fmt.Errorf("store: record payment %s: %w", p.ID, mapUserFK(err, p.UserID))
	}
	if !r.HasRefunds {
		return r.Inserted, nil
	}
	var inserted bool
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockPaymentNames(ctx, tx, p.ID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO payments (id, user_id, amount, currency, status) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO NOTHING`, p.ID, p.UserID, p.Amount, p.Currency, p.Status)
		if err != nil {
			return fmt.Errorf("store: record payment %s: %w", p.ID, mapUserFK(err, p.UserID))
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		inserted = true
		_, err = settleRefunds(ctx, tx, p.ID, false)
		return err
	})
	return inserted, err
}

// LatestPayments lists a user's last n payments, newest first.
func (s *Store) LatestPayments(ctx context.Context, userID string, n int) ([]Payment, error) {
	var ps []Payment
	err := s.db.SelectContext(ctx, &ps, `SELECT id, user_id, amount, currency, status, created_at, refunded_amount FROM payments
		WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, userID, n)
	if err != nil {
		return nil, fmt.Errorf("store: payments of %s: %w", userID, err)
	}
	return ps, nil
}

// Payments lists a user's payments, oldest first.
func (s *Store) Payments(ctx context.Context, userID string) ([]Payment, error) {
	var ps []Payment
	err := s.db.SelectContext(ctx, &ps, `SELECT id, user_id, amount, currency, status, created_at, refunded_amount FROM payments WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: payments of %s: %w", userID, err)
	}
	return ps, nil
}
