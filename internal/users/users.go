// Package users is webhookd as the product it serves sees it: its users
// created or updated by the product, read back with what they may use
// (plan, subscriptions, the state of their address, their last payments),
// imported in bulk, and erased on request. The management API
// (internal/api) and `webhookd users` are its two doors.
package users

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/webhookd/webhookd/internal/money"
	"github.com/webhookd/webhookd/internal/store"
)

// MaxIDBytes bounds a user id: it becomes a Temporal keyword
// (WebhookUserID), which the visibility store keeps in 255 bytes.
const MaxIDBytes = 255

// LatestPayments is how many payments a user's view lists.
const LatestPayments = 10

var (
	// ErrNotFound: no user of that id.
	ErrNotFound = errors.New("no such user")
	// ErrInvalid: a field the caller sent is not acceptable (Field says
	// which).
	ErrInvalid = errors.New("invalid")
)

// FieldError names the field at fault.
type FieldError struct {
	Field, Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }
func (e *FieldError) Is(target error) bool {
	return target == ErrInvalid
}

// RunEraser deletes a person's runs from Temporal (runs.Eraser).
type RunEraser interface {
	EraseUser(ctx context.Context, userID string, workflowIDs []string) (int, []string, error)
}

// Service is what both doors do, over the store and (for erasure)
// Temporal.
type Service struct {
	Store *store.Store
	// Runs deletes the erased person's runs; nil leaves them to the
	// namespace's retention.
	Runs RunEraser
}

// Subscription is a subscription as the product reads it.
type Subscription struct {
	ID                string     `json:"id"`
	Status            string     `json:"status"`
	Plan              string     `json:"plan"`
	CurrentPeriodEnd  *time.Time `json:"current_period_end"`
	CancelAtPeriodEnd bool       `json:"cancel_at_period_end"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// Payment is a payment as the product reads it.
type Payment struct {
	ID             string    `json:"id"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	Display        string    `json:"display"`
	Status         string    `json:"status"`
	RefundedAmount int64     `json:"refunded_amount"`
	CreatedAt      time.Time `json:"created_at"`
}

// User is a user as the product reads it: what it needs to gate features.
type User struct {
	ID              string         `json:"id"`
	Email           string         `json:"email"`
	Plan            string         `json:"plan"`
	EmailValid      bool           `json:"email_valid"`
	EmailBounceType string         `json:"email_bounce_type,omitempty"`
	MarketingOptOut bool           `json:"marketing_opt_out"`
	Subscriptions   []Subscription `json:"subscriptions"`
	LastPayments    []Payment      `json:"last_payments"`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
}

// CheckID refuses an id webhookd cannot carry: empty, over MaxIDBytes, not
// UTF-8, or with control characters.
func CheckID(id string) error {
	switch {
	case id == "":
		return &FieldError{"id", "required"}
	case len(id) > MaxIDBytes:
		return &FieldError{"id", fmt.Sprintf("%d bytes, at most %d", len(id), MaxIDBytes)}
	case !utf8.ValidString(id) || strings.IndexFunc(id, unicode.IsControl) >= 0:
		return &FieldError{"id", "must be UTF-8 text without control characters"}
	}
	return nil
}

// CheckEmail returns the bare address of a single valid address
// ("a@b.example", not "Name <a@b.example>").
func CheckEmail(address string) (string, error) {
	a, err := mail.ParseAddress(address)
	if err != nil || a.Address != strings.TrimSpace(address) || len(address) > 320 {
		return "", &FieldError{"email", "not a single email address"}
	}
	return a.Address, nil
}

// Get is the user with its subscriptions and last payments.
func (s *Service) Get(ctx context.Context, id string) (User, error) {
	if err := CheckID(id); err != nil {
		return User{}, err
	}
	u, err := s.Store.GetUser(ctx, id)
	if errors.Is(err, store.ErrUnknownUser) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	subs, err := s.Store.UserSubscriptions(ctx, id)
	if err != nil {
		return User{}, err
	}
	pays, err := s.Store.LatestPayments(ctx, id, LatestPayments)
	if err != nil {
		return User{}, err
	}
	out := User{ID: u.ID, Email: u.Email, Plan: u.Plan, EmailValid: u.EmailValid, EmailBounceType: u.EmailBounceType.String,
		MarketingOptOut: u.MarketingOptOut, Subscriptions: []Subscription{}, LastPayments: []Payment{}, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	for _, sub := range subs {
		v := Subscription{ID: sub.ID, Status: sub.Status, Plan: sub.Plan, CancelAtPeriodEnd: sub.CancelAtPeriodEnd, UpdatedAt: sub.UpdatedAt}
		if sub.CurrentPeriodEnd.Valid {
			t := sub.CurrentPeriodEnd.Time.UTC()
			v.CurrentPeriodEnd = &t
		}
		out.Subscriptions = append(out.Subscriptions, v)
	}
	for _, p := range pays {
		out.LastPayments = append(out.LastPayments, Payment{ID: p.ID, Amount: p.Amount, Currency: p.Currency, Display: money.Format(p.Amount, p.Currency),
			Status: p.Status, RefundedAmount: p.RefundedAmount.Int64, CreatedAt: p.CreatedAt})
	}
	return out, nil
}

// Put creates the user or sets its address (idempotent), and reports
// whether it created it.
func (s *Service) Put(ctx context.Context, id, email string) (User, bool, error) {
	if err := CheckID(id); err != nil {
		return User{}, false, err
	}
	address, err := CheckEmail(email)
	if err != nil {
		return User{}, false, err
	}
	created, err := s.Store.PutUser(ctx, id, address)
	if errors.Is(err, store.ErrInvalid) {
		return User{}, false, &FieldError{"email", "the address belongs to another user"}
	}
	if err != nil {
		return User{}, false, err
	}
	u, err := s.Get(ctx, id)
	return u, created, err
}

// Erasure is what an erasure removed.
type Erasure struct {
	store.Erased
	// RunsDeleted counts the runs deleted from Temporal.
	RunsDeleted int `json:"runs_deleted"`
}

// Erase removes the person (store.EraseUser) and their runs in Temporal.
// Erasing an unknown id, or one already erased, removes nothing and is no
// error: an erasure can be repeated until every part of it is done.
func (s *Service) Erase(ctx context.Context, id string) (Erasure, error) {
	if err := CheckID(id); err != nil {
		return Erasure{}, err
	}
	erased, err := s.Store.EraseUser(ctx, id)
	if err != nil {
		return Erasure{}, err
	}
	out := Erasure{Erased: erased}
	if s.Runs == nil {
		return out, nil
	}
	n, tagged, err := s.Runs.EraseUser(ctx, id, erased.WorkflowIDs)
	out.RunsDeleted = n
	if err != nil {
		return out, fmt.Errorf("user %s erased from the database; its runs in Temporal not all deleted (repeat the erasure): %w", id, err)
	}
	// Runs Temporal tied to the user whose events the database did not
	// (runs from before events kept their user).
	purged, err := s.Store.PurgeEventPayloads(ctx, tagged)
	out.Payloads += purged
	return out, err
}
