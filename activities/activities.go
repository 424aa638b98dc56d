// Package activities holds the side effects of ProcessWebhook: database
// writes, email and Slack alerts. Each method of Activities is one Temporal
// activity; each is idempotent on its own, because Temporal may run an
// activity again after a worker crash.
package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/money"
	"github.com/webhookd/webhookd/internal/notify"
	"github.com/webhookd/webhookd/internal/store"
)

// Error types of application errors the workflow tells apart.
const (
	ErrTypeBadData = "BadData"
	// ErrTypeUserNotKnownYet: the event's customer is not linked to a user
	// yet; the event that links it may still come.
	ErrTypeUserNotKnownYet = "UserNotKnownYet"
)

// Store is the database the activities write to.
type Store interface {
	ResolveUser(ctx context.Context, provider string, c store.Customer) (store.User, error)
	RecordPayment(ctx context.Context, p store.Payment) (bool, error)
	RecordRefund(ctx context.Context, r store.Refund) (store.RefundOutcome, error)
	AddPaymentRef(ctx context.Context, ref, paymentID string) error
	ApplySubscription(ctx context.Context, s store.SubscriptionChange) (bool, error)
	StampEmail(ctx context.Context, providerMessageID, messageID, kind string, at time.Time) (bool, error)
	RecordBounce(ctx context.Context, addresses []string, bounceType string, invalidate bool) (bool, error)
	OptOutMarketing(ctx context.Context, addresses []string) (bool, error)
	ClaimEmail(ctx context.Context, c store.EmailClaim) (store.EmailLog, error)
	ClaimUserEmail(ctx context.Context, key, userID, template string) (store.UserEmailClaim, error)
	MarkEmailSent(ctx context.Context, key, messageID string) error
	SucceededSince(ctx context.Context, provider, eventType string, t time.Time) (bool, error)
	AlertThread(ctx context.Context, key string) (map[string]string, error)
	GetUser(ctx context.Context, id string) (store.User, error)
	SaveAlertThread(ctx context.Context, key string, refs map[string]string) error
}

// Mailer sends the activities' email (email.Sender).
type Mailer = email.Sender

// Alerter posts to every sink not in done, and returns the sinks that have
// it (alerts.Alerter).
type Alerter interface {
	SendIncident(ctx context.Context, in alerts.Incident, done []string, refs map[string]string) ([]string, map[string]string, error)
	Post(ctx context.Context, msg alerts.Alert, done []string) ([]string, error)
	PostThread(ctx context.Context, msg alerts.Alert, done []string, refs map[string]string) ([]string, map[string]string, error)
}

// Notify posts a message to every sink (a dispute: on-call has a deadline).
// A message with a Thread goes in that thread where a sink has threads:
// where its first message was posted is kept in the database.
func (a *Activities) Notify(ctx context.Context, msg alerts.Alert) error {
	if msg.Thread == "" {
		return toEverySink(ctx, func(done []string) ([]string, error) { return a.Alerter.Post(ctx, msg, done) })
	}
	refs, err := a.Store.AlertThread(ctx, msg.Thread)
	if err != nil {
		return err
	}
	return toEverySink(ctx, func(done []string) ([]string, error) {
		done, refs, err := a.Alerter.PostThread(ctx, msg, done, refs)
		if serr := a.Store.SaveAlertThread(ctx, msg.Thread, refs); serr != nil {
			// The message is out; a later reply then starts its own thread.
			activity.GetLogger(ctx).Warn("alert thread not kept", "error", serr.Error())
		}
		return done, err
	})
}

// toEverySink posts through post, passing the sinks an earlier attempt
// reached (kept in the heartbeat details) so that a retry posts only to
// those that failed. A rate limit retries after the service's delay; a
// post every sink refused is not retried.
func toEverySink(ctx context.Context, post func(done []string) ([]string, error)) error {
	var done []string
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &done)
	}
	done, err := post(done)
	activity.RecordHeartbeat(ctx, done)
	return alerts.Retryable(err)
}

// LinkInput links a provider's customer to the app's user.
type LinkInput struct {
	Event    EventRef
	Customer domain.Customer
}

// UserResult is whose event it was: the user the activity resolved.
type UserResult struct {
	UserID string `json:",omitempty"`
	Noted
}

// LinkCustomer resolves the customer's user, which links the customer id
// to it for later events. No such user is bad data.
func (a *Activities) LinkCustomer(ctx context.Context, in LinkInput) (UserResult, error) {
	c := in.Customer
	c.WaitForLink = false
	u, err := a.resolve(ctx, in.Event, c, "")
	n := a.notes(in.Event)
	if err == nil && u.Created {
		n.userCreated(u.ID, u.Email)
	}
	return UserResult{UserID: u.ID, Noted: Noted{n.list}}, err
}

// Activities is the set of webhookd's activities. Register it whole with
// worker.RegisterActivity(&Activities{...}).
type Activities struct {
	Store   Store
	Mailer  Mailer
	Alerter Alerter
	// Incidents receives the events that failed for good: each joins the
	// incident of its cause (runs.Incidents).
	Incidents Incidents
	// Events writes a run's outcome (lifecycle.Service).
	Events Finisher
	// From is the sender of every email.
	From string
	// Notifier tells the product what changed; nil: nobody listens, and
	// no activity notes a change.
	Notifier Notifier
	// Routes checks on a route's handler that has not finished in time
	// (runs.RouteChecker).
	Routes RouteChecker
	// MarkSentWait is how long SendEmail keeps trying to record a message
	// the mail server has accepted, within the attempt's deadline (default
	// 20 s): a retry after giving up sends the message again.
	MarkSentWait time.Duration
}

// EventRef identifies the event an activity works for.
type EventRef struct {
	Provider   string
	EventID    string
	EventType  string
	WorkflowID string
	OccurredAt time.Time
}

// RecordPaymentInput is a payment to insert.
type RecordPaymentInput struct {
	Event     EventRef
	PaymentID string
	// Customer is who paid; UserID, set by runs from before customers were
	// resolved, counts as Customer.UserID.
	Customer domain.Customer
	UserID   string
	Amount   int64 // minor units
	Currency string
	Status   string
}

// resolveID returns the id of the event's user for a write whose foreign
// key checks it: the id the event names costs no query; a customer id or
// an address is resolved (and linked). An unknown user is bad data.
func (a *Activities) resolveID(ctx context.Context, ev EventRef, c domain.Customer, userID string, n *notes) (string, error) {
	if id, ok := knownUserID(c, userID); ok {
		return id, nil
	}
	u, err := a.resolve(ctx, ev, c, userID)
	if err == nil && u.Created {
		n.userCreated(u.ID, u.Email)
	}
	return u.ID, err
}

// knownUserID is the user id the customer names outright (nothing to link,
// create or wait for); an empty customer names userID, the run's.
func knownUserID(c domain.Customer, userID string) (string, bool) {
	if c == (domain.Customer{}) {
		c.UserID = userID
	}
	return c.UserID, c.UserID != "" && c.CustomerID == "" && !c.WaitForLink && !c.CreateUser
}

// resolve returns the event's user; an unknown one is bad data.
func (a *Activities) resolve(ctx context.Context, ev EventRef, c domain.Customer, userID string) (store.User, error) {
	if c == (domain.Customer{}) {
		c.UserID = userID
	}
	u, err := a.Store.ResolveUser(ctx, ev.Provider, store.Customer{UserID: c.UserID, CustomerID: c.CustomerID, Email: c.Email, Create: c.CreateUser})
	if errors.Is(err, store.ErrUnknownUser) && c.WaitForLink {
		// The event that links the customer may still come (the provider
		// does not keep order): retried until the attempts run out.
		return store.User{}, temporal.NewApplicationErrorWithOptions("user not known yet: "+err.Error(), ErrTypeUserNotKnownYet,
			temporal.ApplicationErrorOptions{NextRetryDelay: 5 * time.Second})
	}
	if err != nil {
		return store.User{}, classify("resolve user", err)
	}
	return u, nil
}

// RecordPaymentResult tells whether the row is new, and whose payment it is.
type RecordPaymentResult struct {
	Inserted bool
	UserID   string `json:",omitempty"`
	Noted
}

// RecordPayment inserts the payment once; a second call changes nothing.
func (a *Activities) RecordPayment(ctx context.Context, in RecordPaymentInput) (RecordPaymentResult, error) {
	n := a.notes(in.Event)
	userID, err := a.resolveID(ctx, in.Event, in.Customer, in.UserID, n)
	if err != nil {
		return RecordPaymentResult{}, err
	}
	ins, err := a.Store.RecordPayment(ctx, store.Payment{
		ID: in.PaymentID, UserID: userID, Amount: in.Amount, Currency: in.Currency, Status: in.Status,
	})
	if err != nil {
		return RecordPaymentResult{}, classify("record payment", err)
	}
	if ins {
		n.add(notify.PaymentRecorded, in.PaymentID, map[string]any{"user_id": userID, "payment_id": in.PaymentID,
			"amount": in.Amount, "currency": in.Currency, "display": money.Format(in.Amount, in.Currency), "status": in.Status})
	}
	return RecordPaymentResult{Inserted: ins, UserID: userID, Noted: Noted{n.list}}, nil
}

// RefundInput is money given back on a payment: one refund (RefundID),
// or the running total of a charge.
type RefundInput struct {
	Event EventRef
	// PaymentID is the payment's id or another reference of it.
	PaymentID string
	Amount    int64
	// RefundID is the provider's; empty (runs from before refunds were
	// kept one by one): the running total of the payment.
	RefundID     string `json:",omitempty"`
	Currency     string `json:",omitempty"`
	Status       string `json:",omitempty"` // succeeded when empty
	RunningTotal bool   `json:",omitempty"`
	Full         bool   `json:",omitempty"`
}

// RefundResult is the payment after the refund; Matched false: no payment
// is known under the reference yet (the refund is kept, and counts when the
// payment comes).
type RefundResult struct {
	Matched  bool
	Refunded int64  `json:",omitempty"`
	Status   string `json:",omitempty"`
	Noted
}

// RefundPayment keeps the refund and sets the payment's refunded amount
// (the sum of its refunds) and status (partially_refunded or refunded).
// Refunds adding up to more than the payment are bad data.
func (a *Activities) RefundPayment(ctx context.Context, in RefundInput) (RefundResult, error) {
	r := store.Refund{ID: in.RefundID, Provider: in.Event.Provider, PaymentRef: in.PaymentID, Amount: in.Amount,
		Currency: in.Currency, Status: domain.FirstNonEmpty(in.Status, "succeeded"), RunningTotal: in.RunningTotal, Full: in.Full}
	if r.ID == "" {
		r.ID, r.RunningTotal = "total:"+in.Event.Provider+":"+in.PaymentID, true
	}
	out, err := a.Store.RecordRefund(ctx, r)
	if err != nil {
		return RefundResult{}, classify("refund payment", err)
	}
	n := a.notes(in.Event)
	if out.PaymentID != "" {
		n.add(notify.PaymentRefunded, out.PaymentID, map[string]any{"payment_id": out.PaymentID, "refund_id": in.RefundID,
			"refunded_amount": out.Refunded, "status": out.Status})
	}
	return RefundResult{Matched: out.PaymentID != "", Refunded: out.Refunded, Status: out.Status, Noted: Noted{n.list}}, nil
}

// PaymentRefInput names a payment by another id.
type PaymentRefInput struct {
	Event     EventRef
	PaymentID string
	Ref       string
}

// AddPaymentRef records that Ref names the payment PaymentID too (the
// PaymentIntent of a Stripe invoice), and counts the refunds made under it.
func (a *Activities) AddPaymentRef(ctx context.Context, in PaymentRefInput) error {
	return classify("payment reference", a.Store.AddPaymentRef(ctx, in.Ref, in.PaymentID))
}

// ApplySubscriptionInput is a subscription state snapshot from one event.
type ApplySubscriptionInput struct {
	Event             EventRef
	SubscriptionID    string
	Customer          domain.Customer
	UserID            string
	Plan              string // empty: keep the stored plan
	Status            string
	CurrentPeriodEnd  *time.Time
	CancelAtPeriodEnd *bool
	// UserPlan, when set, becomes the user's plan in the same transaction.
	UserPlan string
	// OtherPlans are items that could have been the plan too: logged.
	OtherPlans []string `json:",omitempty"`
}

// ApplySubscriptionResult tells whether the snapshot was newer than the
// stored state and so was applied, and whose subscription it is.
type ApplySubscriptionResult struct {
	Applied bool
	UserID  string
	Noted
}

// ApplySubscription upserts the subscription and the user's plan in one
// transaction, unless a newer event already did.
func (a *Activities) ApplySubscription(ctx context.Context, in ApplySubscriptionInput) (ApplySubscriptionResult, error) {
	n := a.notes(in.Event)
	userID, err := a.resolveID(ctx, in.Event, in.Customer, in.UserID, n)
	if err != nil {
		return ApplySubscriptionResult{}, err
	}
	oldPlan := ""
	if a.Notifier != nil && in.UserPlan != "" {
		if u, err := a.Store.GetUser(ctx, userID); err == nil {
			oldPlan = u.Plan
		}
	}
	if len(in.OtherPlans) > 0 {
		activity.GetLogger(ctx).Warn("subscription has several items that could be the plan; set the provider's plans map to choose",
			"subscription_id", in.SubscriptionID, "plan", in.Plan, "other_items", strings.Join(in.OtherPlans, ","))
	}
	ok, err := a.Store.ApplySubscription(ctx, store.SubscriptionChange{
		ID: in.SubscriptionID, UserID: userID, Plan: in.Plan, Status: in.Status,
		CurrentPeriodEnd: in.CurrentPeriodEnd, CancelAtPeriodEnd: in.CancelAtPeriodEnd,
		UserPlan: in.UserPlan, OccurredAt: in.Event.OccurredAt,
	})
	if err != nil {
		return ApplySubscriptionResult{}, classify("apply subscription", err)
	}
	if !ok {
		activity.GetLogger(ctx).Info("stale subscription event ignored", "subscription_id", in.SubscriptionID)
		return ApplySubscriptionResult{Applied: ok, UserID: userID, Noted: Noted{n.list}}, nil
	}
	n.add(notify.SubscriptionChanged, in.SubscriptionID, map[string]any{"user_id": userID, "subscription_id": in.SubscriptionID,
		"status": in.Status, "plan": in.Plan, "current_period_end": in.CurrentPeriodEnd, "cancel_at_period_end": in.CancelAtPeriodEnd})
	if in.UserPlan != "" && in.UserPlan != oldPlan {
		n.add(notify.PlanChanged, userID, map[string]any{"user_id": userID, "old_plan": oldPlan, "new_plan": in.UserPlan, "subscription_id": in.SubscriptionID})
	}
	return ApplySubscriptionResult{Applied: ok, UserID: userID, Noted: Noted{n.list}}, nil
}

// EmailEventInput is a delivery, open or click notice for an email.
type EmailEventInput struct {
	Event     EventRef
	EmailID   string // the provider's id of the message
	MessageID string // its Message-ID header, when the provider reports it
	Kind      string // "delivered", "opened" or "clicked"
}

// MatchResult tells whether a row matched.
type MatchResult struct {
	Matched bool
	Noted
}

// matched turns a store call's (matched, error) into an activity's result.
func matched(op string) func(ok bool, err error) (MatchResult, error) {
	return func(ok bool, err error) (MatchResult, error) {
		return MatchResult{Matched: ok}, classify(op, err)
	}
}

// StampEmail records the delivery or open time on the email's log row. A
// notice for an email webhookd did not send matches nothing and succeeds.
func (a *Activities) StampEmail(ctx context.Context, in EmailEventInput) (MatchResult, error) {
	return matched("stamp email")(a.Store.StampEmail(ctx, in.EmailID, in.MessageID, in.Kind, in.Event.OccurredAt))
}

// BounceInput is a bounce notice for one or more addresses.
type BounceInput struct {
	Event      EventRef
	Email      string // runs from before several addresses: the one address
	Addresses  []string
	BounceType string
	// Transient: record the bounce without invalidating the address.
	Transient bool
}

// MarkEmailInvalid records the bounce on the users with those addresses
// and, unless it is transient, flags their address as undeliverable.
func (a *Activities) MarkEmailInvalid(ctx context.Context, in BounceInput) (MatchResult, error) {
	list := addresses(in.Addresses, in.Email)
	res, err := matched("mark email invalid")(a.Store.RecordBounce(ctx, list, in.BounceType, !in.Transient))
	if err == nil && res.Matched && !in.Transient {
		n := a.notes(in.Event)
		for _, addr := range list {
			n.add(notify.AddressInvalid, strings.ToLower(addr), map[string]string{"email": addr, "bounce_type": in.BounceType})
		}
		res.Notes = n.list
	}
	return res, err
}

// ComplaintInput is a spam complaint.
type ComplaintInput struct {
	Event     EventRef
	Email     string // runs from before several addresses: the one address
	Addresses []string
}

func addresses(list []string, one string) []string {
	if len(list) == 0 && one != "" {
		return []string{one}
	}
	return list
}

// OptOutMarketing opts the users out of marketing email.
func (a *Activities) OptOutMarketing(ctx context.Context, in ComplaintInput) (MatchResult, error) {
	return matched("opt out marketing")(a.Store.OptOutMarketing(ctx, addresses(in.Addresses, in.Email)))
}

// SendEmailInput asks for one templated email to a user.
type SendEmailInput struct {
	Event    EventRef
	Customer domain.Customer
	UserID   string
	Template string
	Data     map[string]string
	// Key, when set, is the idempotency key instead of the event's (a
	// subscription's cancellation is emailed once, whichever event says so).
	Key string `json:",omitempty"`
}

// SendEmailResult tells whether this call sent the message.
type SendEmailResult struct {
	Sent        bool
	AlreadySent bool
	MessageID   string
	// UserID is the user the email was for.
	UserID string `json:",omitempty"`
}

// EmailKey is the idempotency key of one template sent for one run's event.
func EmailKey(workflowID, template string) string { return workflowID + ":" + template }

// SendEmail sends the template to the user at most once per event: it claims
// the key in email_logs, sends, then marks the row sent. A retry after a
// successful send finds the row sent and does nothing. A database outage
// right after the send is waited out (MarkSentWait). The window left — a
// crash, or a longer outage, after the SMTP server accepted the message but
// before the row was marked — resends with the same Message-ID, which
// receivers deduplicate.
func (a *Activities) SendEmail(ctx context.Context, in SendEmailInput) (SendEmailResult, error) {
	key := EmailKey(in.Event.WorkflowID, in.Template)
	if in.Key != "" {
		key = in.Key
	}
	msg, err := email.Render(in.Template, in.Data)
	if err != nil {
		return SendEmailResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBadData, nil)
	}
	msg.From = a.From
	msg.MessageID = email.MessageID(key, a.From)
	if userID, ok := knownUserID(in.Customer, in.UserID); ok {
		// A user known by id (most sends): the address is read and the
		// key claimed in one statement.
		claim, err := a.Store.ClaimUserEmail(ctx, key, userID, in.Template)
		switch {
		case errors.Is(err, store.ErrUnknownUser), err == nil && claim.EmailValid && !claim.Status.Valid:
			// Reported as resolve does; a key claimed concurrently is
			// read by ClaimEmail below.
		case err != nil:
			return SendEmailResult{}, classify("send email", err)
		case !claim.EmailValid:
			return a.invalidAddress(ctx, userID, in.Template), nil
		default:
			msg.To = claim.Email
			return a.deliver(ctx, key, in.Template, msg, userID, claim.Status.String, claim.ProviderMessageID.String)
		}
	}
	u, err := a.resolve(ctx, in.Event, in.Customer, in.UserID)
	if err != nil {
		return SendEmailResult{}, err
	}
	if !u.EmailValid {
		return a.invalidAddress(ctx, u.ID, in.Template), nil
	}
	msg.To = u.Email
	row, err := a.Store.ClaimEmail(ctx, store.EmailClaim{Key: key, UserID: u.ID, To: u.Email, Template: in.Template})
	if err != nil {
		return SendEmailResult{}, classify("send email", err)
	}
	return a.deliver(ctx, key, in.Template, msg, u.ID, row.Status, row.ProviderMessageID.String)
}

// invalidAddress is SendEmail's answer for a user whose address bounced.
func (a *Activities) invalidAddress(ctx context.Context, userID, template string) SendEmailResult {
	activity.GetLogger(ctx).Warn("email not sent: address marked invalid", "user_id", userID, "template", template)
	return SendEmailResult{UserID: userID}
}

// deliver sends a claimed message unless its row says it went out already
// (status sent), then marks the row sent.
func (a *Activities) deliver(ctx context.Context, key, template string, msg email.Message, userID, status, sentID string) (SendEmailResult, error) {
	if status == store.EmailSent {
		return SendEmailResult{AlreadySent: true, MessageID: sentID, UserID: userID}, nil
	}
	id, err := a.Mailer.Send(ctx, msg)
	if err != nil {
		return SendEmailResult{}, fmt.Errorf("send email %s: %w", template, err)
	}
	if err := a.markSent(ctx, key, id); err != nil {
		return SendEmailResult{}, classify("send email", err)
	}
	return SendEmailResult{Sent: true, MessageID: id, UserID: userID}, nil
}

// markSent records a message the mail server has accepted. Failing here
// would make the activity's retry send it again, so it retries for up to
// MarkSentWait, stopping a second before the attempt's deadline.
func (a *Activities) markSent(ctx context.Context, key, messageID string) error {
	limit := a.MarkSentWait
	if limit <= 0 {
		limit = 20 * time.Second
	}
	giveUp := time.Now().Add(limit)
	if d, ok := ctx.Deadline(); ok && d.Add(-time.Second).Before(giveUp) {
		giveUp = d.Add(-time.Second)
	}
	wait := 100 * time.Millisecond
	for {
		err := a.Store.MarkEmailSent(ctx, key, messageID)
		if err == nil || time.Now().Add(wait).After(giveUp) {
			return err
		}
		activity.GetLogger(ctx).Warn("email sent but not recorded yet; retrying", "key", key, "error", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// SetEventStatusInput is the outcome of a run, written to webhook_events.
type SetEventStatusInput struct {
	Provider  string
	EventID   string
	EventType string `json:",omitempty"`
	Status    domain.Status
	RunID     string
	LastError string
	UserID    string `json:",omitempty"`
}

// Finisher writes a run's outcome (lifecycle.Service).
type Finisher interface {
	Finish(ctx context.Context, r lifecycle.Result) error
}

// SetEventStatus records the run's outcome on the event row: the event
// life's Finish, which also tells the incident of an earlier failure when
// the event now succeeded.
func (a *Activities) SetEventStatus(ctx context.Context, in SetEventStatusInput) error {
	err := a.Events.Finish(ctx, lifecycle.Result{Provider: in.Provider, EventID: in.EventID, EventType: in.EventType,
		Status: in.Status, RunID: in.RunID, LastError: in.LastError, UserID: in.UserID})
	return classify("set event status", err)
}

// Incidents groups failed events into incidents (runs.Incidents).
type Incidents interface {
	// Failed adds the failure to the incident of its cause, opening it.
	Failed(ctx context.Context, f alerts.Failure) error
}

// PostIncidentInput is an incident's message and the references of its
// first message on threaded sinks.
type PostIncidentInput struct {
	Incident alerts.Incident
	Refs     map[string]string `json:",omitempty"`
}

// incidentProgress is what a PostIncident attempt leaves for the next.
type incidentProgress struct {
	Done []string
	Refs map[string]string
}

// PostIncident posts an incident's message to every sink, like SendAlert,
// and returns the references of the first message on threaded sinks.
func (a *Activities) PostIncident(ctx context.Context, in PostIncidentInput) (map[string]string, error) {
	p := incidentProgress{Refs: in.Refs}
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &p)
	}
	done, refs, err := a.Alerter.SendIncident(ctx, in.Incident, p.Done, p.Refs)
	activity.RecordHeartbeat(ctx, incidentProgress{Done: done, Refs: refs})
	return refs, alerts.Retryable(err)
}

// SucceededSince reports whether an event of the provider and type has
// succeeded since t (an incident's quiet check).
func (a *Activities) SucceededSince(ctx context.Context, provider, eventType string, t time.Time) (bool, error) {
	return a.Store.SucceededSince(ctx, provider, eventType, t)
}

// SendAlert hands an event that failed for good to the incident of its
// cause, which posts the first failure at once and sums up the rest.
func (a *Activities) SendAlert(ctx context.Context, f alerts.Failure) error {
	return a.Incidents.Failed(ctx, f)
}

// classify turns the store's bad-data errors into non-retryable errors; any
// other error (a lost connection, a deadlock) is retried.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrUnknownUser) || errors.Is(err, store.ErrInvalid) {
		// The message carries err's text already; a cause would repeat it.
		return temporal.NewNonRetryableApplicationError(op+": "+err.Error(), ErrTypeBadData, nil)
	}
	return fmt.Errorf("%s: %w", op, err)
}
