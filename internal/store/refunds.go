package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Refund is a row of refunds: money given back on a payment, keyed by the
// provider's refund id.
type Refund struct {
	ID       string
	Provider string
	// PaymentRef is the payment's id or another reference of it
	// (AddPaymentRef).
	PaymentRef string
	Amount     int64
	Currency   string
	// Status: succeeded or pending count towards the payment's refunded
	// amount; failed and canceled do not (and are final).
	Status string
	// RunningTotal: Amount is all refunded on the payment so far (Stripe's
	// charge.refunded), not one refund; the largest one reported counts.
	RunningTotal bool
	// Full: the whole payment is refunded, whatever its amount.
	Full bool
}

// RefundOutcome is a payment after its refunds.
type RefundOutcome struct {
	// PaymentID is empty when no payment is known under the refund's
	// reference yet: the refund is kept and counts once the payment comes.
	PaymentID string
	Refunded  int64 // all its refunds, in minor units
	Status    string
}

// lockPaymentNames serializes the transactions that touch the refunds of a
// payment by each of its names (an advisory lock per name until commit),
// so that the last of them to commit sees every refund and the payment:
// two refunds of one payment at once, or a refund racing its payment's
// insert, cannot each miss the other. Callers lock a refund's reference
// before the payment's id, so that two of them never wait on each other.
func lockPaymentNames(ctx context.Context, tx *sqlx.Tx, names ...string) error {
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "payment:"+n); err != nil {
			return fmt.Errorf("store: lock payment %s: %w", n, err)
		}
	}
	return nil
}

// RecordRefund keeps a refund (a redelivery or a later status updates the
// same row; failed and canceled are final) and recomputes its payment's
// refunded amount and status. Refunds adding up to more than the payment
// are ErrInvalid, and nothing is kept.
func (s *Store) RecordRefund(ctx context.Context, r Refund) (RefundOutcome, error) {
	if r.ID == "" || r.PaymentRef == "" || r.Amount < 0 || r.Status == "" {
		return RefundOutcome{}, fmt.Errorf("store: refund %q: %w: id, payment, status and a non-negative amount are required", r.ID, ErrInvalid)
	}
	var out RefundOutcome
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockPaymentNames(ctx, tx, r.PaymentRef); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO refunds (id, provider, payment_ref, amount, currency, status, running_total, full_refund)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (id) DO UPDATE SET
				amount = CASE WHEN refunds.running_total THEN GREATEST(refunds.amount, EXCLUDED.amount) ELSE EXCLUDED.amount END,
				status = CASE WHEN refunds.status IN ('failed', 'canceled') THEN refunds.status ELSE EXCLUDED.status END,
				full_refund = refunds.full_refund OR EXCLUDED.full_refund,
				updated_at = now()`,
			r.ID, r.Provider, r.PaymentRef, r.Amount, r.Currency, r.Status, r.RunningTotal, r.Full)
		if err != nil {
			return fmt.Errorf("store: record refund %s: %w", r.ID, mapIndexRow(err))
		}
		var paymentID string
		err = tx.GetContext(ctx, &paymentID, `SELECT COALESCE((SELECT payment_id FROM payment_refs WHERE ref = $1), $1)`, r.PaymentRef)
		if err != nil {
			return fmt.Errorf("store: payment of refund %s: %w", r.ID, err)
		}
		if paymentID != r.PaymentRef {
			if err := lockPaymentNames(ctx, tx, paymentID); err != nil {
				return err
			}
		}
		out, err = settleRefunds(ctx, tx, paymentID, true)
		return err
	})
	return out, err
}

// AddPaymentRef records another name of a payment (the PaymentIntent that
// paid a Stripe invoice), and settles the refunds already made under it.
func (s *Store) AddPaymentRef(ctx context.Context, ref, paymentID string) error {
	if ref == "" || paymentID == "" || ref == paymentID {
		return nil
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockPaymentNames(ctx, tx, ref, paymentID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_refs (ref, payment_id) VALUES ($1, $2) ON CONFLICT (ref) DO NOTHING`, ref, paymentID); err != nil {
			return fmt.Errorf("store: payment ref %s: %w", ref, mapIndexRow(err))
		}
		_, err := settleRefunds(ctx, tx, paymentID, false)
		return err
	})
}

// settleRefunds sets a payment's refunded_amount and status from its
// refunds under every name: the sum of the single refunds, or the largest
// running total when that is more (a Stripe charge reports both), or the
// whole amount when one refund is full. strict: more than the payment is
// ErrInvalid; else (a payment arriving after its refunds) it reads
// refunded. A payment not recorded yet settles nothing (an empty
// PaymentID): its refunds count when it comes. The caller holds the
// payment's names (lockPaymentNames).
func settleRefunds(ctx context.Context, tx *sqlx.Tx, paymentID string, strict bool) (RefundOutcome, error) {
	var t struct {
		Amount   int64         `db:"amount"`
		Status   string        `db:"status"`
		Refunded sql.NullInt64 `db:"refunded_amount"`
		Parts    int64         `db:"parts"`
		Running  int64         `db:"running"`
		Full     bool          `db:"full_refund"`
	}
	err := tx.GetContext(ctx, &t, `
		WITH refs AS (SELECT $1::text AS ref UNION SELECT ref FROM payment_refs WHERE payment_id = $1)
		SELECT p.amount, p.status, p.refunded_amount,
			COALESCE(SUM(r.amount) FILTER (WHERE NOT r.running_total), 0) AS parts,
			COALESCE(MAX(r.amount) FILTER (WHERE r.running_total), 0) AS running,
			COALESCE(bool_or(r.full_refund), false) AS full_refund
		FROM payments p
		LEFT JOIN refunds r ON r.payment_ref IN (SELECT ref FROM refs) AND r.status IN ('succeeded', 'pending')
		WHERE p.id = $1
		GROUP BY p.amount, p.status, p.refunded_amount`, paymentID)
	if errors.Is(err, sql.ErrNoRows) {
		return RefundOutcome{}, nil
	}
	if err != nil {
		return RefundOutcome{}, fmt.Errorf("store: refunds of %s: %w", paymentID, err)
	}
	total := max(t.Parts, t.Running)
	if t.Full {
		total = t.Amount
	}
	if total > t.Amount {
		if strict {
			return RefundOutcome{}, fmt.Errorf("store: refunds of payment %s add up to %d, more than its %d: %w", paymentID, total, t.Amount, ErrInvalid)
		}
		total = t.Amount
	}
	status := t.Status
	switch {
	case total > 0 && total >= t.Amount:
		status = PaymentRefunded
	case total > 0:
		status = PaymentPartiallyRefunded
	case status == PaymentRefunded || status == PaymentPartiallyRefunded:
		status = PaymentSucceeded // the refunds failed
	}
	out := RefundOutcome{PaymentID: paymentID, Refunded: total, Status: status}
	if total == t.Refunded.Int64 && status == t.Status {
		return out, nil // nothing changed: a new payment without refunds
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payments SET refunded_amount = NULLIF($2, 0), status = $3 WHERE id = $1`, paymentID, total, status); err != nil {
		return RefundOutcome{}, fmt.Errorf("store: settle refunds of %s: %w", paymentID, err)
	}
	return out, nil
}

// The statuses of a payment row.
const (
	PaymentSucceeded         = "succeeded"
	PaymentPartiallyRefunded = "partially_refunded"
	PaymentRefunded          = "refunded"
)

// inTx runs fn in a transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
