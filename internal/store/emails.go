package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// StampEmail sets delivered_at, opened_at or clicked_at (kind
// "delivered", "opened" or "clicked") on the email the provider reports,
// matched by the provider's id of the message or by its Message-ID (with or
// without angle brackets), keeping the first stamp.
func (s *Store) StampEmail(ctx context.Context, providerMessageID, messageID, kind string, at time.Time) (bool, error) {
	col := map[string]string{"delivered": "delivered_at", "opened": "opened_at", "clicked": "clicked_at"}[kind]
	if col == "" {
		return false, fmt.Errorf("store: stamp email: kind %q: %w", kind, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE email_logs SET `+col+` = COALESCE(`+col+`, $3)
		WHERE provider_message_id IN (NULLIF($1, ''), NULLIF(trim(both '<>' from $2), ''), NULLIF('<' || trim(both '<>' from $2) || '>', '<>'))`,
		providerMessageID, messageID, at)
	if err != nil {
		return false, fmt.Errorf("store: stamp email %s: %w", providerMessageID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Email log statuses.
const (
	EmailPending = "pending"
	EmailSent    = "sent"
)

// EmailClaim reserves an idempotency key before a send.
type EmailClaim struct {
	Key      string
	UserID   string
	To       string
	Template string
}

// EmailLog is a row of email_logs.
type EmailLog struct {
	ID                int64          `db:"id"`
	IdempotencyKey    string         `db:"idempotency_key"`
	UserID            sql.NullString `db:"user_id"`
	ToAddress         string         `db:"to_address"`
	Template          string         `db:"template"`
	Status            string         `db:"status"`
	ProviderMessageID sql.NullString `db:"provider_message_id"`
	CreatedAt         time.Time      `db:"created_at"`
	SentAt            sql.NullTime   `db:"sent_at"`
	DeliveredAt       sql.NullTime   `db:"delivered_at"`
	OpenedAt          sql.NullTime   `db:"opened_at"`
	ClickedAt         sql.NullTime   `db:"clicked_at"`
}

const emailColumns = `id, idempotency_key, user_id, to_address, template, status, provider_message_id, created_at, sent_at, delivered_at, opened_at, clicked_at`

// ClaimEmail inserts a pending row for the key unless one exists, and
// returns the row: status "sent" means the message already went out.
func (s *Store) ClaimEmail(ctx context.Context, c EmailClaim) (EmailLog, error) {
	var row EmailLog
	err := s.db.GetContext(ctx, &row, `
		WITH ins AS (
			INSERT INTO email_logs (idempotency_key, user_id, to_address, template) VALUES ($1, $2, $3, $4)
			ON CONFLICT (idempotency_key) DO NOTHING
			RETURNING `+emailColumns+`)
		SELECT `+emailColumns+` FROM ins
		UNION ALL
		SELECT `+emailColumns+` FROM email_logs WHERE idempotency_key = $1
		LIMIT 1`, c.Key, c.UserID, c.To, c.Template)
	if err != nil {
		return EmailLog{}, fmt.Errorf("store: claim email %s: %w", c.Key, mapUserFK(err, c.UserID))
	}
	return row, nil
}

// UserEmailClaim is what ClaimUserEmail found: the user's address and,
// when it is valid, the key's row.
type UserEmailClaim struct {
	Email      string `db:"email"`
	EmailValid bool   `db:"email_valid"`
	// Status is the key's row's ("sent": the message went out already);
	// null when nothing was claimed: the address is invalid, or another
	// attempt claimed the key while this statement ran (its row is not in
	// this statement's snapshot; ClaimEmail reads it).
	Status            sql.NullString `db:"status"`
	ProviderMessageID sql.NullString `db:"provider_message_id"`
}

// ClaimUserEmail is GetUser and ClaimEmail in one statement, for a message
// to a user known by id: it reads the user's address and, when it is
// valid, claims the key for that address. An unknown user is
// ErrUnknownUser.
func (s *Store) ClaimUserEmail(ctx context.Context, key, userID, template string) (UserEmailClaim, error) {
	var c UserEmailClaim
	err := s.db.GetContext(ctx, &c, `
		WITH u AS (SELECT id, email, email_valid FROM users WHERE id = $2),
		ins AS (
			INSERT INTO email_logs (idempotency_key, user_id, to_address, template)
			SELECT $1, u.id, u.email, $3 FROM u WHERE u.email_valid
			ON CONFLICT (idempotency_key) DO NOTHING
			RETURNING status, provider_message_id),
		claimed AS (
			SELECT status, provider_message_id FROM ins
			UNION ALL
			SELECT status, provider_message_id FROM email_logs WHERE idempotency_key = $1
			LIMIT 1)
		SELECT u.email, u.email_valid, claimed.status, claimed.provider_message_id
		FROM u LEFT JOIN claimed ON u.email_valid`, key, userID, template)
	if errors.Is(err, sql.ErrNoRows) {
		return UserEmailClaim{}, fmt.Errorf("store: user %q: %w", userID, ErrUnknownUser)
	}
	if err != nil {
		return UserEmailClaim{}, fmt.Errorf("store: claim email %s: %w", key, mapUserFK(err, userID))
	}
	return c, nil
}

// MarkEmailSent marks the key's row sent with the message id.
func (s *Store) MarkEmailSent(ctx context.Context, key, messageID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE email_logs SET status = 'sent', provider_message_id = $2, sent_at = now()
		WHERE idempotency_key = $1`, key, messageID)
	if err != nil {
		return fmt.Errorf("store: mark email sent %s: %w", key, err)
	}
	return nil
}

// EmailLogs lists the email log rows of a user, oldest first.
func (s *Store) EmailLogs(ctx context.Context, userID string) ([]EmailLog, error) {
	var rows []EmailLog
	err := s.db.SelectContext(ctx, &rows, `SELECT `+emailColumns+` FROM email_logs WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: email logs of %s: %w", userID, err)
	}
	return rows, nil
}
