// Package store is the only package that holds SQL. It records webhook
// events and applies their effects to PostgreSQL through sqlx and lib/pq.
// Every write is idempotent, and state changes are guarded by the event's
// occurred-at time so that an older event never overwrites newer state.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// Sentinel errors; callers test them with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrUnknownUser = errors.New("unknown user")
	ErrInvalid     = errors.New("invalid data")
)

// Event statuses.
const (
	StatusReceived   = "received"
	StatusDispatched = "dispatched"
	StatusSucceeded  = "succeeded"
	StatusFailed     = "failed"
	StatusIgnored    = "ignored"
)

// Store is webhookd's PostgreSQL database.
type Store struct {
	db *sqlx.DB
}

// Open connects to the database at url (a lib/pq URL or DSN).
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &Store{db: db}, nil
}

// New wraps an open database.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

// DB is the underlying handle (for migrations).
func (s *Store) DB() *sql.DB { return s.db.DB }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Event is a row of webhook_events.
type Event struct {
	ID           int64           `db:"id" json:"id"`
	Provider     string          `db:"provider" json:"provider"`
	EventID      string          `db:"event_id" json:"event_id"`
	EventType    string          `db:"event_type" json:"event_type"`
	Payload      json.RawMessage `db:"payload" json:"payload,omitempty"`
	Status       string          `db:"status" json:"status"`
	WorkflowID   string          `db:"workflow_id" json:"workflow_id"`
	RunID        sql.NullString  `db:"run_id" json:"-"`
	Attempts     int             `db:"attempts" json:"attempts"`
	LastError    sql.NullString  `db:"last_error" json:"-"`
	ReceivedAt   time.Time       `db:"received_at" json:"received_at"`
	OccurredAt   sql.NullTime    `db:"occurred_at" json:"-"`
	DispatchedAt sql.NullTime    `db:"dispatched_at" json:"-"`
	ProcessedAt  sql.NullTime    `db:"processed_at" json:"-"`
}

// NewEvent is an event as the ingress received it.
type NewEvent struct {
	Provider   string
	EventID    string
	EventType  string
	Payload    []byte
	WorkflowID string
	OccurredAt time.Time
}

const eventColumns = `id, provider, event_id, event_type, payload, status, workflow_id, run_id, attempts,
	last_error, received_at, occurred_at, dispatched_at, processed_at`

// RecordEvent inserts the event unless (provider, event_id) exists. It
// returns the stored row and whether this call inserted it.
//
// A new row is inserted as dispatched (attempts 1), its run about to start,
// so the accepted path costs one statement. A caller whose start fails puts
// it back with Requeue; if the caller dies first, the dispatcher finds the
// row among Undispatched (dispatched, no run ID, older than its threshold).
func (s *Store) RecordEvent(ctx context.Context, e NewEvent) (Event, bool, error) {
	var ev Event
	var occurred sql.NullTime
	if !e.OccurredAt.IsZero() {
		occurred = sql.NullTime{Time: e.OccurredAt, Valid: true}
	}
	err := s.db.GetContext(ctx, &ev, `
		INSERT INTO webhook_events (provider, event_id, event_type, payload, workflow_id, occurred_at,
		                            status, attempts, dispatched_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'dispatched', 1, now())
		ON CONFLICT (provider, event_id) DO NOTHING
		RETURNING `+strings.Replace(eventColumns, "payload", "'null'::jsonb AS payload", 1),
		e.Provider, e.EventID, e.EventType, string(e.Payload), e.WorkflowID, occurred)
	if err == nil {
		ev.Payload = e.Payload // no need to read back what was just written
		return ev, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		if isCode(err, pqerror.InvalidTextRepresentation, pqerror.UntranslatableCharacter, pqerror.CharacterNotInRepertoire) { // invalid JSON text / untranslatable character
			return Event{}, false, fmt.Errorf("store: record event %s/%s: %w: %v", e.Provider, e.EventID, ErrInvalid, err)
		}
		return Event{}, false, fmt.Errorf("store: record event %s/%s: %w", e.Provider, e.EventID, err)
	}
	ev, err = s.GetEventByKey(ctx, e.Provider, e.EventID)
	if err != nil {
		return Event{}, false, err
	}
	return ev, false, nil
}

// GetEventByKey returns the event of a provider by its event id.
func (s *Store) GetEventByKey(ctx context.Context, provider, eventID string) (Event, error) {
	var ev Event
	err := s.db.GetContext(ctx, &ev, `SELECT `+eventColumns+` FROM webhook_events WHERE provider = $1 AND event_id = $2`, provider, eventID)
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, fmt.Errorf("store: event %s/%s: %w", provider, eventID, ErrNotFound)
	}
	if err != nil {
		return Event{}, fmt.Errorf("store: get event %s/%s: %w", provider, eventID, err)
	}
	return ev, nil
}

// GetEvent returns an event by its row id.
func (s *Store) GetEvent(ctx context.Context, id int64) (Event, error) {
	var ev Event
	err := s.db.GetContext(ctx, &ev, `SELECT `+eventColumns+` FROM webhook_events WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, fmt.Errorf("store: event %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Event{}, fmt.Errorf("store: get event %d: %w", id, err)
	}
	return ev, nil
}

// MarkDispatched records that a run was started for the event. It never
// moves an event back from a final status the run may already have written.
func (s *Store) MarkDispatched(ctx context.Context, provider, eventID, runID string) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE webhook_events
		SET status = CASE WHEN status = 'received' THEN 'dispatched' ELSE status END,
		    run_id = CASE WHEN status = 'received' OR (status = 'dispatched' AND run_id IS NULL)
		                  THEN COALESCE(NULLIF($3, ''), run_id) ELSE run_id END,
		    attempts = attempts + 1, dispatched_at = now()
		WHERE provider = $1 AND event_id = $2`, provider, eventID, runID)
	if err != nil {
		return fmt.Errorf("store: mark dispatched %s/%s: %w", provider, eventID, err)
	}
	return nil
}

// ClaimRerun moves a failed event back to received so that exactly one of
// several concurrent redeliveries or replays starts its new run. It reports
// whether this caller won the claim.
func (s *Store) ClaimRerun(ctx context.Context, provider, eventID string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		UPDATE webhook_events SET status = 'received'
		WHERE provider = $1 AND event_id = $2 AND status = 'failed'`, provider, eventID)
	if err != nil {
		return false, fmt.Errorf("store: claim rerun %s/%s: %w", provider, eventID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Requeue puts a newly recorded event whose start failed back to received,
// for the dispatcher to start when Temporal is back. It leaves an event
// alone once a run ID is known for it.
func (s *Store) Requeue(ctx context.Context, provider, eventID string) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE webhook_events
		SET status = 'received', attempts = GREATEST(attempts - 1, 0), dispatched_at = NULL
		WHERE provider = $1 AND event_id = $2 AND status = 'dispatched' AND run_id IS NULL`, provider, eventID)
	if err != nil {
		return fmt.Errorf("store: requeue %s/%s: %w", provider, eventID, err)
	}
	return nil
}

// RecordRun sets the run ID of a dispatched event that has none yet.
func (s *Store) RecordRun(ctx context.Context, provider, eventID, runID string) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE webhook_events SET run_id = $3
		WHERE provider = $1 AND event_id = $2 AND run_id IS NULL`, provider, eventID, runID)
	if err != nil {
		return fmt.Errorf("store: record run %s/%s: %w", provider, eventID, err)
	}
	return nil
}

// Undispatched returns the events the dispatcher must look at, oldest
// first: those recorded more than receivedFor ago that no run was started
// for (Temporal was unreachable when they arrived), and those marked
// dispatched more than runlessFor ago whose run ID is still unknown (the start may not
// have happened: see RecordEvent). The latter only within a day: Temporal
// forgets closed runs after its retention (7 days), and an older row whose
// run it no longer knows must not get a second one; a sweep every few
// seconds settles a crash's rows long before.
func (s *Store) Undispatched(ctx context.Context, receivedFor, runlessFor time.Duration, limit int) ([]Event, error) {
	var evs []Event
	err := s.db.SelectContext(ctx, &evs, `
		(SELECT `+eventColumns+` FROM webhook_events
		 WHERE status = 'received' AND received_at < now() - make_interval(secs => $1)
		 ORDER BY received_at LIMIT $2)
		UNION ALL
		(SELECT `+eventColumns+` FROM webhook_events
		 WHERE status = 'dispatched' AND run_id IS NULL AND dispatched_at < now() - make_interval(secs => $3)
		   AND dispatched_at > now() - interval '24 hours'
		 ORDER BY dispatched_at LIMIT $2)
		ORDER BY received_at LIMIT $2`, receivedFor.Seconds(), limit, runlessFor.Seconds())
	if err != nil {
		return nil, fmt.Errorf("store: undispatched events: %w", err)
	}
	return evs, nil
}

// EventStatusUpdate is the outcome of a run.
type EventStatusUpdate struct {
	Provider  string
	EventID   string
	Status    string
	RunID     string
	LastError string
}

// SetEventStatus writes a run's outcome.
func (s *Store) SetEventStatus(ctx context.Context, u EventStatusUpdate) error {
	switch u.Status {
	case StatusDispatched, StatusSucceeded, StatusFailed, StatusIgnored:
	default:
		return fmt.Errorf("store: set event status %q: %w", u.Status, ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx, `
		UPDATE webhook_events
		SET status = $3, run_id = COALESCE(NULLIF($4, ''), run_id), last_error = NULLIF($5, ''),
		    processed_at = CASE WHEN $3 = 'dispatched' THEN processed_at ELSE now() END
		WHERE provider = $1 AND event_id = $2`, u.Provider, u.EventID, u.Status, u.RunID, u.LastError)
	if err != nil {
		return fmt.Errorf("store: set event status %s/%s: %w", u.Provider, u.EventID, err)
	}
	return nil
}

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
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT id, email, plan, plan_updated_at, email_valid, email_bounce_type,
		marketing_opt_out, created_at, updated_at FROM users WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("store: user %q: %w", id, ErrUnknownUser)
	}
	if err != nil {
		return User{}, fmt.Errorf("store: get user %s: %w", id, err)
	}
	return u, nil
}

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
	case "active", "canceled", "past_due":
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
	var sub Subscription
	err := s.db.GetContext(ctx, &sub, `SELECT id, user_id, plan, status, current_period_end, cancel_at_period_end,
		source_occurred_at, created_at, updated_at FROM subscriptions WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Subscription{}, fmt.Errorf("store: subscription %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("store: get subscription %s: %w", id, err)
	}
	return sub, nil
}

// StampEmail sets delivered_at or opened_at (kind "delivered" or "opened")
// on the email sent with that provider message id, keeping the first stamp.
func (s *Store) StampEmail(ctx context.Context, providerMessageID, kind string, at time.Time) (bool, error) {
	var q string
	switch kind {
	case "delivered":
		q = `UPDATE email_logs SET delivered_at = COALESCE(delivered_at, $2) WHERE provider_message_id = $1`
	case "opened":
		q = `UPDATE email_logs SET opened_at = COALESCE(opened_at, $2) WHERE provider_message_id = $1`
	default:
		return false, fmt.Errorf("store: stamp email: kind %q: %w", kind, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, q, providerMessageID, at)
	if err != nil {
		return false, fmt.Errorf("store: stamp email %s: %w", providerMessageID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
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
}

const emailColumns = `id, idempotency_key, user_id, to_address, template, status, provider_message_id, created_at, sent_at, delivered_at, opened_at`

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

func isCode(err error, codes ...pqerror.Code) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	for _, c := range codes {
		if pqErr.Code == c {
			return true
		}
	}
	return false
}

// mapUserFK turns a foreign-key violation on user_id into ErrUnknownUser.
func mapUserFK(err error, userID string) error {
	if isCode(err, pqerror.ForeignKeyViolation) {
		return fmt.Errorf("user %q: %w", userID, ErrUnknownUser)
	}
	return err
}

// EventFilter selects events for ListEvents; zero fields match all.
type EventFilter struct {
	Provider string
	Type     string
	Status   string
	Since    time.Time
	Limit    int
}

// ListEvents returns matching events, newest first, without payloads.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]Event, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var evs []Event
	err := s.db.SelectContext(ctx, &evs, `
		SELECT id, provider, event_id, event_type, 'null'::jsonb AS payload, status, workflow_id, run_id, attempts,
			last_error, received_at, occurred_at, dispatched_at, processed_at
		FROM webhook_events
		WHERE ($1 = '' OR provider = $1) AND ($2 = '' OR event_type = $2) AND ($3 = '' OR status = $3)
		  AND received_at >= $4
		ORDER BY received_at DESC, id DESC
		LIMIT $5`, f.Provider, f.Type, f.Status, f.Since, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: list events: %w", err)
	}
	return evs, nil
}
