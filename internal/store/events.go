package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
)

// Event is a row of webhook_events.
type Event struct {
	ID        int64           `db:"id" json:"id"`
	Provider  string          `db:"provider" json:"provider"`
	EventID   string          `db:"event_id" json:"event_id"`
	EventType string          `db:"event_type" json:"event_type"`
	Payload   json.RawMessage `db:"payload" json:"payload,omitempty"`
	// Data is the envelope's data object, as the provider's format
	// locates it: the workflow input. JSON null when the envelope has none.
	Data json.RawMessage `db:"data" json:"data,omitempty"`
	// BodyChanged, set by RecordEvent on a redelivery, says the delivered
	// body differs from the recorded one (which stays).
	BodyChanged bool `db:"-" json:"-"`
	// Format is the provider's format settings at receipt (provider.Spec);
	// JSON null for events recorded before they were kept.
	Format       json.RawMessage `db:"format" json:"-"`
	Status       domain.Status   `db:"status" json:"status"`
	WorkflowID   string          `db:"workflow_id" json:"workflow_id"`
	RunID        sql.NullString  `db:"run_id" json:"-"`
	Attempts     int             `db:"attempts" json:"attempts"`
	LastError    sql.NullString  `db:"last_error" json:"-"`
	ReceivedAt   time.Time       `db:"received_at" json:"received_at"`
	OccurredAt   sql.NullTime    `db:"occurred_at" json:"-"`
	DispatchedAt sql.NullTime    `db:"dispatched_at" json:"-"`
	ProcessedAt  sql.NullTime    `db:"processed_at" json:"-"`
	// PayloadPurgedAt is when the retention deleted the payload and data
	// (both JSON null since).
	PayloadPurgedAt sql.NullTime `db:"payload_purged_at" json:"-"`
	// UserID is whose event it was, once its run resolved the user.
	UserID sql.NullString `db:"user_id" json:"-"`
}

// NewEvent is an event as the ingress received it.
type NewEvent struct {
	Provider   string
	EventID    string
	EventType  string
	Payload    []byte
	Data       json.RawMessage // nil: the envelope has no data object
	Format     json.RawMessage // the provider's format settings (provider.Spec)
	WorkflowID string
	OccurredAt time.Time
	// Status is what the new row starts as: received, or dispatched when
	// its run is about to start (which counts as its first attempt).
	Status domain.Status
}

const eventColumns = `id, provider, event_id, event_type, COALESCE(payload, 'null'::jsonb) AS payload, COALESCE(data, 'null'::jsonb) AS data,
	COALESCE(format, 'null'::jsonb) AS format, status, workflow_id, run_id, attempts,
	last_error, received_at, occurred_at, dispatched_at, processed_at, payload_purged_at, user_id`

// eventColumnsLight is eventColumns with JSON null for the two JSON
// columns: rows listed or just written, whose bodies the caller has or
// does not need.
var eventColumnsLight = strings.NewReplacer("COALESCE(payload, 'null'::jsonb) AS payload,", "'null'::jsonb AS payload,", "COALESCE(data, 'null'::jsonb)", "'null'::jsonb",
	"COALESCE(format, 'null'::jsonb)", "'null'::jsonb").Replace(eventColumns)

func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// RecordEvent inserts the event unless (provider, event_id) exists. It
// returns the stored row and whether this call inserted it.
//
// The new row takes e.Status, received or dispatched (the lifecycle
// decides which).
func (s *Store) RecordEvent(ctx context.Context, e NewEvent) (Event, bool, error) {
	if e.Status != domain.StatusReceived && e.Status != domain.StatusDispatched {
		return Event{}, false, fmt.Errorf("store: record event %s/%s as %q: a new event is received or dispatched", e.Provider, e.EventID, e.Status)
	}
	var ev Event
	var occurred sql.NullTime
	if !e.OccurredAt.IsZero() {
		occurred = sql.NullTime{Time: e.OccurredAt, Valid: true}
	}
	err := s.db.GetContext(ctx, &ev, `
		INSERT INTO webhook_events (provider, event_id, event_type, payload, data, format, workflow_id, occurred_at,
		                            status, attempts, dispatched_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $9 = $10 THEN 1 ELSE 0 END, CASE WHEN $9 = $10 THEN now() END)
		ON CONFLICT (provider, event_id) DO NOTHING
		RETURNING `+eventColumnsLight,
		e.Provider, e.EventID, e.EventType, string(e.Payload), nullJSON(e.Data), nullJSON(e.Format), e.WorkflowID, occurred, e.Status, domain.StatusDispatched)
	if err == nil {
		ev.Payload, ev.Data, ev.Format = e.Payload, e.Data, e.Format // no need to read back what was just written
		return ev, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		// Data exceptions (class 22: invalid JSON text, a number or time out
		// of range, an untranslatable character) and integrity violations
		// (class 23) are the body's fault: retrying cannot help.
		if isClass(err, "22", "23") {
			return Event{}, false, fmt.Errorf("store: record event %s/%s: %w: %v", e.Provider, e.EventID, ErrInvalid, err)
		}
		return Event{}, false, fmt.Errorf("store: record event %s/%s: %w", e.Provider, e.EventID, err)
	}
	// A redelivery: the recorded row, and whether its body is the same
	// (as JSON: whitespace and key order aside), in one read.
	var rec struct {
		Event
		Same bool `db:"same_payload"`
	}
	err = s.db.GetContext(ctx, &rec, `SELECT `+eventColumns+`, COALESCE(payload = $3::jsonb, true) AS same_payload
		FROM webhook_events WHERE provider = $1 AND event_id = $2`, e.Provider, e.EventID, string(e.Payload))
	if err != nil {
		return Event{}, false, fmt.Errorf("store: get event %s/%s: %w", e.Provider, e.EventID, err)
	}
	rec.Event.BodyChanged = !rec.Same
	return rec.Event, false, nil
}

// GetEventByKey returns the event of a provider by its event id.
func (s *Store) GetEventByKey(ctx context.Context, provider, eventID string) (Event, error) {
	return getOne[Event](ctx, s.db, "event "+provider+"/"+eventID, ErrNotFound,
		`SELECT `+eventColumns+` FROM webhook_events WHERE provider = $1 AND event_id = $2`, provider, eventID)
}

// GetEvent returns an event by its row id.
func (s *Store) GetEvent(ctx context.Context, id int64) (Event, error) {
	return getOne[Event](ctx, s.db, fmt.Sprintf("event %d", id), ErrNotFound,
		`SELECT `+eventColumns+` FROM webhook_events WHERE id = $1`, id)
}

// MarkDispatched records that a run was started for the event. It never
// moves an event back from a final status the run may already have written.
func (s *Store) MarkDispatched(ctx context.Context, provider, eventID, runID string) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE webhook_events
		SET status = CASE WHEN status = $4 THEN $5 ELSE status END,
		    run_id = CASE WHEN status = $4 OR (status = $5 AND run_id IS NULL)
		                  THEN COALESCE(NULLIF($3, ''), run_id) ELSE run_id END,
		    attempts = attempts + 1, dispatched_at = now()
		WHERE provider = $1 AND event_id = $2`, provider, eventID, runID, domain.StatusReceived, domain.StatusDispatched)
	if err != nil {
		return fmt.Errorf("store: mark dispatched %s/%s: %w", provider, eventID, err)
	}
	return nil
}

// ClaimRerun moves a failed (or ignored) event back to received so that
// exactly one of several concurrent redeliveries or replays starts its new
// run: the one whose UPDATE finds it in status from with the attempts it
// read. It reports whether this caller won the claim.
//
// The sweep leaves a claimed event to its claimant for RerunHold: the
// claimant may be waiting for the previous run to close, and a sweep
// starting the event meanwhile would make the claimant's own start a
// duplicate. Should the claimant die, the sweep starts it after that.
func (s *Store) ClaimRerun(ctx context.Context, provider, eventID string, from domain.Status, attempts int) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		UPDATE webhook_events SET status = $3, next_dispatch_at = now() + make_interval(secs => $6)
		WHERE provider = $1 AND event_id = $2 AND status = $4 AND attempts = $5`,
		provider, eventID, domain.StatusReceived, from, attempts, RerunHold.Seconds())
	if err != nil {
		return false, fmt.Errorf("store: claim rerun %s/%s: %w", provider, eventID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RerunHold is how long the sweep leaves an event claimed by ClaimRerun to
// its claimant.
const RerunHold = time.Minute

// Unclaim puts a claimed event whose rerun could not start back to the
// status it was claimed from.
func (s *Store) Unclaim(ctx context.Context, provider, eventID string, to domain.Status) error {
	_, err := s.db.ExecContext(ctx, `UPDATE webhook_events SET status = $3
		WHERE provider = $1 AND event_id = $2 AND status = $4`, provider, eventID, to, domain.StatusReceived)
	if err != nil {
		return fmt.Errorf("store: unclaim %s/%s: %w", provider, eventID, err)
	}
	return nil
}

// Requeue puts a newly recorded event whose start failed back to received,
// for the sweep to start when Temporal is back. It leaves an event alone
// once a run ID is known for it.
func (s *Store) Requeue(ctx context.Context, provider, eventID string) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE webhook_events
		SET status = $3, attempts = GREATEST(attempts - 1, 0), dispatched_at = NULL
		WHERE provider = $1 AND event_id = $2 AND status = $4 AND run_id IS NULL`,
		provider, eventID, domain.StatusReceived, domain.StatusDispatched)
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

// Undispatched returns the events the sweep must look at, oldest first:
// those recorded more than receivedFor ago that no run was started for
// (Temporal was unreachable when they arrived), and those marked dispatched
// more than runlessFor ago whose run ID is still unknown (the start may not
// have happened: see RecordEvent). The latter only within a day: Temporal
// forgets closed runs after its retention (7 days), and an older row whose
// run it no longer knows must not get a second one; a sweep every few
// seconds settles a crash's rows long before.
func (s *Store) Undispatched(ctx context.Context, receivedFor, runlessFor time.Duration, limit int) ([]Event, error) {
	var evs []Event
	err := s.db.SelectContext(ctx, &evs, `
		(SELECT `+eventColumns+` FROM webhook_events
		 WHERE status = $4 AND received_at < now() - make_interval(secs => $1)
		   AND (next_dispatch_at IS NULL OR next_dispatch_at <= now())
		 ORDER BY received_at LIMIT $2)
		UNION ALL
		(SELECT `+eventColumns+` FROM webhook_events
		 WHERE status = $5 AND run_id IS NULL AND dispatched_at < now() - make_interval(secs => $3)
		   AND dispatched_at > now() - interval '24 hours'
		   AND (next_dispatch_at IS NULL OR next_dispatch_at <= now())
		 ORDER BY dispatched_at LIMIT $2)
		ORDER BY received_at LIMIT $2`, receivedFor.Seconds(), limit, runlessFor.Seconds(), domain.StatusReceived, domain.StatusDispatched)
	if err != nil {
		return nil, fmt.Errorf("store: undispatched events: %w", err)
	}
	return evs, nil
}

// DeferDispatch keeps the sweep from trying the event's start again before
// until: its last start failed for a reason of its own.
func (s *Store) DeferDispatch(ctx context.Context, provider, eventID string, until time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE webhook_events SET next_dispatch_at = $3 WHERE provider = $1 AND event_id = $2`,
		provider, eventID, until)
	if err != nil {
		return fmt.Errorf("store: defer dispatch %s/%s: %w", provider, eventID, err)
	}
	return nil
}

// FailDispatch marks an event whose run cannot be started failed, with the
// reason, unless a run took it over meanwhile (a run ID is known).
func (s *Store) FailDispatch(ctx context.Context, provider, eventID, reason string) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE webhook_events SET status = $3, last_error = $4, processed_at = now(), next_dispatch_at = NULL
		WHERE provider = $1 AND event_id = $2 AND status IN ($5, $6) AND run_id IS NULL`,
		provider, eventID, domain.StatusFailed, reason, domain.StatusReceived, domain.StatusDispatched)
	if err != nil {
		return fmt.Errorf("store: fail dispatch %s/%s: %w", provider, eventID, err)
	}
	return nil
}

// EventStatusUpdate is the outcome of a run.
type EventStatusUpdate struct {
	Provider  string
	EventID   string
	Status    domain.Status
	RunID     string
	LastError string
	// UserID, when set, is whose event it was (the run resolved the user).
	UserID string
}

// SetEventStatus writes a run's outcome.
func (s *Store) SetEventStatus(ctx context.Context, u EventStatusUpdate) error {
	_, err := s.FinishEvent(ctx, u)
	return err
}

// FinishEvent writes a run's outcome and returns the event's previous last
// error: not empty when an event that had failed now succeeds (a replay or
// redelivery recovered it).
func (s *Store) FinishEvent(ctx context.Context, u EventStatusUpdate) (string, error) {
	var prev sql.NullString
	err := s.db.GetContext(ctx, &prev, `
		WITH old AS (SELECT id, last_error FROM webhook_events WHERE provider = $1 AND event_id = $2 FOR UPDATE)
		UPDATE webhook_events e
		SET status = $3, run_id = COALESCE(NULLIF($4, ''), e.run_id), last_error = NULLIF($5, ''),
		    processed_at = CASE WHEN $3 = $6 THEN e.processed_at ELSE now() END,
		    user_id = COALESCE(NULLIF($7, ''), e.user_id)
		FROM old WHERE e.id = old.id
		RETURNING old.last_error`, u.Provider, u.EventID, u.Status, u.RunID, u.LastError, domain.StatusDispatched, u.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: set event status %s/%s: %w", u.Provider, u.EventID, err)
	}
	return prev.String, nil
}

// SucceededSince reports whether an event of the provider and type (any,
// when empty) succeeded after t (an incident's quiet check).
func (s *Store) SucceededSince(ctx context.Context, provider, eventType string, t time.Time) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM webhook_events
		WHERE ($1 = '' OR provider = $1) AND ($2 = '' OR event_type = $2) AND status = $3 AND processed_at > $4)`, provider, eventType, domain.StatusSucceeded, t)
	if err != nil {
		return false, fmt.Errorf("store: succeeded since: %w", err)
	}
	return ok, nil
}

// EventFilter selects events for ListEvents; zero fields match all.
type EventFilter struct {
	Provider string
	Type     string
	Status   domain.Status
	Since    time.Time
	Limit    int
	// UserID selects the events whose runs resolved this user.
	UserID string
}

// ListEvents returns matching events, newest first, without payloads.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]Event, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var evs []Event
	err := s.db.SelectContext(ctx, &evs, `
		SELECT `+eventColumnsLight+`
		FROM webhook_events
		WHERE ($1 = '' OR provider = $1) AND ($2 = '' OR event_type = $2) AND ($3 = '' OR status = $3)
		  AND received_at >= $4 AND ($6 = '' OR user_id = $6)
		ORDER BY received_at DESC, id DESC
		LIMIT $5`, f.Provider, f.Type, f.Status, f.Since, f.Limit, f.UserID)
	if err != nil {
		return nil, fmt.Errorf("store: list events: %w", err)
	}
	return evs, nil
}

// purgeable selects the rows whose payload the retention deletes: received
// before $1, payload still there, settled (status neither $2 nor $3).
const purgeable = `payload_purged_at IS NULL AND received_at < $1 AND status NOT IN ($2, $3)`

// PurgePayloads deletes the payload and data of events received before
// cutoff that are settled (not received or dispatched: an event still to
// run keeps what it runs on), at most batch rows a statement, oldest
// first, until none is left or ctx ends. Rows stay as the audit record.
func (s *Store) PurgePayloads(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, `UPDATE webhook_events SET payload = NULL, data = NULL, payload_purged_at = now()
			WHERE id IN (SELECT id FROM webhook_events WHERE `+purgeable+` ORDER BY received_at LIMIT $4)`,
			cutoff, domain.StatusReceived, domain.StatusDispatched, batch)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}

// PurgeablePayloads counts what PurgePayloads(cutoff) would delete.
func (s *Store) PurgeablePayloads(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM webhook_events WHERE `+purgeable, cutoff, domain.StatusReceived, domain.StatusDispatched)
	return n, err
}
