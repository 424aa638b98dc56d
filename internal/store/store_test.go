package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func newStore(t *testing.T) *store.Store {
	t.Helper()
	st := store.New(pgtest.New(t))
	if err := st.UpsertUser(context.Background(), "usr_1", "one@example.com"); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestRecordEventOnce(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	e := store.NewEvent{Status: domain.StatusDispatched, Provider: "dodo", EventID: "evt_1", EventType: "payment.succeeded", Payload: []byte(`{"a":1,"data":{"b":2}}`),
		Data: []byte(`{"b":2}`), WorkflowID: "dodo:evt_1", OccurredAt: time.Now()}
	first, inserted, err := st.RecordEvent(ctx, e)
	if err != nil || !inserted {
		t.Fatalf("first RecordEvent = %v, %v", inserted, err)
	}
	second, inserted, err := st.RecordEvent(ctx, e)
	if err != nil || inserted {
		t.Fatalf("second RecordEvent = %v, %v; want not inserted", inserted, err)
	}
	if first.ID != second.ID || second.Status != domain.StatusDispatched || second.Attempts != 1 || !second.DispatchedAt.Valid {
		t.Errorf("second = %+v, want the first row", second)
	}
	if string(second.Data) != `{"b": 2}` {
		t.Errorf("stored data = %s, want the data object", second.Data)
	}
	if _, _, err := st.RecordEvent(ctx, store.NewEvent{Status: domain.StatusDispatched, Provider: "dodo", EventID: "evt_nodata", EventType: "t", Payload: []byte(`{}`), WorkflowID: "x"}); err != nil {
		t.Fatal(err)
	}
	if ev, err := st.GetEventByKey(ctx, "dodo", "evt_nodata"); err != nil || string(ev.Data) != "null" {
		t.Errorf("no data object: %s, %v; want JSON null", ev.Data, err)
	}
	if _, _, err := st.RecordEvent(ctx, store.NewEvent{Status: domain.StatusDispatched, Provider: "dodo", EventID: "evt_nul", EventType: "t", Payload: []byte(`{"a":"\u0000"}`), WorkflowID: "x"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("payload with NUL: err = %v, want ErrInvalid", err)
	}
}

func TestPaymentTwiceIsOneRow(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	p := store.Payment{ID: "pay_1", UserID: "usr_1", Amount: 1999, Currency: "USD", Status: "succeeded"}
	for i, want := range []bool{true, false} {
		ins, err := st.RecordPayment(ctx, p)
		if err != nil || ins != want {
			t.Fatalf("RecordPayment #%d = %v, %v; want %v", i+1, ins, err, want)
		}
	}
	ps, err := st.Payments(ctx, "usr_1")
	if err != nil || len(ps) != 1 || ps[0].Amount != 1999 {
		t.Fatalf("payments = %+v, %v", ps, err)
	}
	_, err = st.RecordPayment(ctx, store.Payment{ID: "pay_2", UserID: "usr_nobody", Amount: 1, Currency: "USD"})
	if !errors.Is(err, store.ErrUnknownUser) {
		t.Errorf("unknown user: err = %v, want ErrUnknownUser", err)
	}
}

func TestSubscriptionOutOfOrder(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end1, end2 := t0.Add(30*24*time.Hour), t0.Add(60*24*time.Hour)
	yes := true
	created := store.SubscriptionChange{ID: "sub_1", UserID: "usr_1", Plan: "pro", Status: "active", CurrentPeriodEnd: &end1, UserPlan: "pro", OccurredAt: t0}
	newer := store.SubscriptionChange{ID: "sub_1", UserID: "usr_1", Plan: "business", Status: "active", CurrentPeriodEnd: &end2, CancelAtPeriodEnd: &yes, UserPlan: "business", OccurredAt: t0.Add(2 * time.Hour)}
	older := store.SubscriptionChange{ID: "sub_1", UserID: "usr_1", Plan: "starter", Status: "active", CurrentPeriodEnd: &end1, UserPlan: "starter", OccurredAt: t0.Add(1 * time.Hour)}

	for _, c := range []store.SubscriptionChange{created, newer, newer} { // the newer one twice: same state
		if ok, err := st.ApplySubscription(ctx, c); err != nil || !ok {
			t.Fatalf("apply %s@%s = %v, %v", c.Plan, c.OccurredAt, ok, err)
		}
	}
	if ok, err := st.ApplySubscription(ctx, older); err != nil || ok {
		t.Fatalf("apply older = %v, %v; want not applied", ok, err)
	}
	sub, err := st.GetSubscription(ctx, "sub_1")
	if err != nil {
		t.Fatal(err)
	}
	if sub.Plan != "business" || !sub.CancelAtPeriodEnd || !sub.CurrentPeriodEnd.Time.Equal(end2) {
		t.Errorf("subscription = %+v, want the newer state", sub)
	}
	u, err := st.GetUser(ctx, "usr_1")
	if err != nil || u.Plan != "business" {
		t.Errorf("user plan = %q, %v; want business", u.Plan, err)
	}

	// Cancel: status canceled, user back to free, in one transaction.
	cancel := store.SubscriptionChange{ID: "sub_1", UserID: "usr_1", Status: "canceled", UserPlan: "free", OccurredAt: t0.Add(3 * time.Hour)}
	if ok, err := st.ApplySubscription(ctx, cancel); err != nil || !ok {
		t.Fatalf("cancel = %v, %v", ok, err)
	}
	sub, _ = st.GetSubscription(ctx, "sub_1")
	u, _ = st.GetUser(ctx, "usr_1")
	if sub.Status != "canceled" || sub.Plan != "business" || u.Plan != "free" {
		t.Errorf("after cancel: subscription %s/%s, user plan %s", sub.Status, sub.Plan, u.Plan)
	}

	if _, err := st.ApplySubscription(ctx, store.SubscriptionChange{ID: "sub_2", UserID: "usr_nobody", Plan: "pro", Status: "active", OccurredAt: t0}); !errors.Is(err, store.ErrUnknownUser) {
		t.Errorf("unknown user: err = %v, want ErrUnknownUser", err)
	}
	// Every status a provider format produces is stored, paused and
	// pending included.
	for _, status := range []string{"paused", "pending", "past_due", "active"} {
		if _, err := st.ApplySubscription(ctx, store.SubscriptionChange{ID: "sub_" + status, UserID: "usr_1", Status: status, OccurredAt: t0}); err != nil {
			t.Errorf("status %s: %v", status, err)
		}
	}
	if _, err := st.ApplySubscription(ctx, store.SubscriptionChange{ID: "sub_3", UserID: "usr_1", Status: "trialing", OccurredAt: t0}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad status: err = %v, want ErrInvalid", err)
	}
}

func TestEmailClaimAndStamps(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	claim := store.EmailClaim{Key: "dodo:evt_1:payment_confirmation", UserID: "usr_1", To: "one@example.com", Template: "payment_confirmation"}
	row, err := st.ClaimEmail(ctx, claim)
	if err != nil || row.Status != store.EmailPending {
		t.Fatalf("claim = %+v, %v", row, err)
	}
	again, err := st.ClaimEmail(ctx, claim)
	if err != nil || again.ID != row.ID || again.Status != store.EmailPending {
		t.Fatalf("second claim = %+v, %v; want the same pending row", again, err)
	}
	if err := st.MarkEmailSent(ctx, claim.Key, "msg-1@x"); err != nil {
		t.Fatal(err)
	}
	if row, _ = st.ClaimEmail(ctx, claim); row.Status != store.EmailSent {
		t.Fatalf("after send: status %s, want sent", row.Status)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ {
		if ok, err := st.StampEmail(ctx, "msg-1@x", "", "delivered", at.Add(time.Duration(i)*time.Hour)); err != nil || !ok {
			t.Fatalf("stamp = %v, %v", ok, err)
		}
	}
	logs, _ := st.EmailLogs(ctx, "usr_1")
	if len(logs) != 1 || !logs[0].DeliveredAt.Time.Equal(at) {
		t.Errorf("email logs = %+v; want one row delivered at the first stamp", logs)
	}
	if ok, err := st.StampEmail(ctx, "unknown@x", "", "opened", at); err != nil || ok {
		t.Errorf("stamp unknown = %v, %v; want no match, no error", ok, err)
	}
	// Resend reports its own id and the Message-ID header, in brackets.
	if ok, err := st.StampEmail(ctx, "4ef9a417-02e9-4d39-ad75-9611e0fcc33c", "<msg-1@x>", "clicked", at); err != nil || !ok {
		t.Errorf("stamp by Message-ID = %v, %v", ok, err)
	}

	if ok, err := st.RecordBounce(ctx, []string{"other@example.com", "ONE@example.com"}, "hard", true); err != nil || !ok {
		t.Fatalf("bounce = %v, %v", ok, err)
	}
	if ok, err := st.OptOutMarketing(ctx, []string{"one@example.com"}); err != nil || !ok {
		t.Fatalf("complaint = %v, %v", ok, err)
	}
	u, _ := st.GetUser(ctx, "usr_1")
	if u.EmailValid || u.EmailBounceType.String != "hard" || !u.MarketingOptOut {
		t.Errorf("user = %+v", u)
	}
}

// ClaimUserEmail reads the address and claims the key in one statement:
// once, for a valid address; never for an invalid one; an unknown user is
// ErrUnknownUser.
func TestClaimUserEmail(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	const key = "dodo:evt_9:payment_confirmation"
	c, err := st.ClaimUserEmail(ctx, key, "usr_1", "payment_confirmation")
	if err != nil || c.Email != "one@example.com" || !c.EmailValid || c.Status.String != store.EmailPending {
		t.Fatalf("claim = %+v, %v", c, err)
	}
	if err := st.MarkEmailSent(ctx, key, "msg-9@x"); err != nil {
		t.Fatal(err)
	}
	c, err = st.ClaimUserEmail(ctx, key, "usr_1", "payment_confirmation")
	if err != nil || c.Status.String != store.EmailSent || c.ProviderMessageID.String != "msg-9@x" {
		t.Fatalf("after send = %+v, %v; want the sent row", c, err)
	}
	if logs, _ := st.EmailLogs(ctx, "usr_1"); len(logs) != 1 || logs[0].ToAddress != "one@example.com" {
		t.Errorf("email logs = %+v; want one row to the user's address", logs)
	}
	if _, err := st.ClaimUserEmail(ctx, "k2", "usr_nobody", "payment_confirmation"); !errors.Is(err, store.ErrUnknownUser) {
		t.Errorf("unknown user: err = %v, want ErrUnknownUser", err)
	}
	if _, err := st.RecordBounce(ctx, []string{"one@example.com"}, "hard", true); err != nil {
		t.Fatal(err)
	}
	c, err = st.ClaimUserEmail(ctx, "dodo:evt_10:payment_confirmation", "usr_1", "payment_confirmation")
	if err != nil || c.EmailValid || c.Status.Valid {
		t.Fatalf("invalid address: claim = %+v, %v; want nothing claimed", c, err)
	}
	if logs, _ := st.EmailLogs(ctx, "usr_1"); len(logs) != 1 {
		t.Errorf("email logs = %d rows; an invalid address claims nothing", len(logs))
	}
}

func TestEventLifecycle(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	e := store.NewEvent{Status: domain.StatusDispatched, Provider: "dodo", EventID: "evt_1", EventType: "t", Payload: []byte(`{}`), WorkflowID: "dodo:evt_1"}
	if _, _, err := st.RecordEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	// Recorded as dispatched, no run ID yet: the sweep looks at it
	// once it is older than its threshold, not before.
	if evs, _ := st.Undispatched(ctx, 0, 0, 10); len(evs) != 1 || evs[0].Status != domain.StatusDispatched {
		t.Fatalf("undispatched = %+v, want the dispatched row", evs)
	}
	if evs, _ := st.Undispatched(ctx, 0, time.Hour, 10); len(evs) != 0 {
		t.Fatalf("undispatched within the threshold = %d, want 0", len(evs))
	}
	// The start failed: back to received, still undispatched.
	if err := st.Requeue(ctx, "dodo", "evt_1"); err != nil {
		t.Fatal(err)
	}
	if evs, _ := st.Undispatched(ctx, 0, 0, 10); len(evs) != 1 || evs[0].Status != domain.StatusReceived || evs[0].Attempts != 0 || evs[0].DispatchedAt.Valid {
		t.Fatalf("after requeue: undispatched = %+v, want the received row", evs)
	}
	if err := st.MarkDispatched(ctx, "dodo", "evt_1", ""); err != nil { // started, run ID unknown
		t.Fatal(err)
	}
	if evs, _ := st.Undispatched(ctx, 0, 0, 10); len(evs) != 1 || evs[0].Status != domain.StatusDispatched {
		t.Fatalf("run-less dispatched row = %+v", evs)
	}
	// A day later the sweep no longer looks: Temporal may have forgotten
	// the run by the time it could tell.
	if _, err := st.DB().Exec(`UPDATE webhook_events SET dispatched_at = now() - interval '25 hours' WHERE event_id = 'evt_1'`); err != nil {
		t.Fatal(err)
	}
	if evs, _ := st.Undispatched(ctx, 0, 0, 10); len(evs) != 0 {
		t.Fatalf("a day-old run-less row is still undispatched: %+v", evs)
	}
	if _, err := st.DB().Exec(`UPDATE webhook_events SET dispatched_at = now() WHERE event_id = 'evt_1'`); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordRun(ctx, "dodo", "evt_1", "r0"); err != nil {
		t.Fatal(err)
	}
	if evs, _ := st.Undispatched(ctx, 0, 0, 10); len(evs) != 0 {
		t.Fatalf("with its run known: undispatched = %d, want 0", len(evs))
	}
	if err := st.Requeue(ctx, "dodo", "evt_1"); err != nil { // a run is known: requeue does nothing
		t.Fatal(err)
	}
	if ev, _ := st.GetEventByKey(ctx, "dodo", "evt_1"); ev.Status != domain.StatusDispatched || ev.RunID.String != "r0" {
		t.Fatalf("requeue moved a row with a run: %s %q", ev.Status, ev.RunID.String)
	}
	// A run that finished before the ingress marked the dispatch keeps its status.
	if err := st.SetEventStatus(ctx, store.EventStatusUpdate{Provider: "dodo", EventID: "evt_1", Status: domain.StatusFailed, RunID: "r1", LastError: "boom"}); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkDispatched(ctx, "dodo", "evt_1", "r1"); err != nil {
		t.Fatal(err)
	}
	ev, _ := st.GetEventByKey(ctx, "dodo", "evt_1")
	if ev.Status != domain.StatusFailed || ev.LastError.String != "boom" {
		t.Fatalf("event = %s %q, want failed boom", ev.Status, ev.LastError.String)
	}
	if won, _ := st.ClaimRerun(ctx, "dodo", "evt_1", domain.StatusFailed, ev.Attempts-1); won {
		t.Error("a claim that read an older attempt won")
	}
	won, err := st.ClaimRerun(ctx, "dodo", "evt_1", domain.StatusFailed, ev.Attempts)
	if err != nil || !won {
		t.Fatalf("claim = %v, %v", won, err)
	}
	if won, _ := st.ClaimRerun(ctx, "dodo", "evt_1", domain.StatusFailed, ev.Attempts); won {
		t.Error("second claim won too")
	}
	if evs, _ := st.ListEvents(ctx, store.EventFilter{Status: domain.StatusReceived}); len(evs) != 1 {
		t.Errorf("list received = %d, want 1", len(evs))
	}
	// The sweep leaves the claimed event to its claimant, which may be
	// waiting for the failed run to close: a sweep's start meanwhile made
	// the replay's own start a duplicate ("not replayed", the SMTP drill).
	if evs, _ := st.Undispatched(ctx, 0, 0, 10); len(evs) != 0 {
		t.Errorf("sweep lists %d claimed events within RerunHold, want 0", len(evs))
	}
}

func TestAlertMarksAndBacklog(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	if changed, err := st.SetAlertMark(ctx, "backlog", false); err != nil || changed {
		t.Errorf("closing a mark never opened: %v, %v", changed, err)
	}
	for i, want := range []bool{true, false} {
		if changed, err := st.SetAlertMark(ctx, "backlog", true); err != nil || changed != want {
			t.Errorf("open #%d = %v, %v; want %v", i+1, changed, err, want)
		}
	}
	if changed, _ := st.SetAlertMark(ctx, "backlog", false); !changed {
		t.Error("close of an open mark changed nothing")
	}
	if n, _, err := st.Backlog(ctx); err != nil || n != 0 {
		t.Errorf("empty backlog = %d, %v", n, err)
	}
	if _, _, err := st.RecordEvent(ctx, store.NewEvent{Status: domain.StatusDispatched, Provider: "dodo", EventID: "evt_b", EventType: "t", Payload: []byte(`{}`), WorkflowID: "x"}); err != nil {
		t.Fatal(err)
	}
	st.Requeue(ctx, "dodo", "evt_b")
	if n, oldest, err := st.Backlog(ctx); err != nil || n != 1 || time.Since(oldest) > time.Minute {
		t.Errorf("backlog = %d since %v, %v", n, oldest, err)
	}
}

// The retention deletes the payloads of settled events past the cutoff, in
// batches, and keeps every row; events still to run keep theirs.
func TestPurgePayloads(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	for i, status := range []domain.Status{domain.StatusSucceeded, domain.StatusFailed, domain.StatusIgnored, domain.StatusReceived, domain.StatusDispatched, domain.StatusSucceeded} {
		id := fmt.Sprintf("evt_%d", i)
		if _, _, err := st.RecordEvent(ctx, store.NewEvent{Status: domain.StatusDispatched, Provider: "dodo", EventID: id, EventType: "payment.succeeded",
			Payload: []byte(`{"data":{"email":"a@b.c"}}`), Data: []byte(`{"email":"a@b.c"}`), WorkflowID: "dodo:" + id}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().ExecContext(ctx, `UPDATE webhook_events SET status = $1, received_at = now() - interval '40 days' WHERE event_id = $2 AND $2 <> 'evt_5'`, status, id); err != nil {
			t.Fatal(err)
		}
	}
	cutoff := time.Now().Add(-30 * 24 * time.Hour)
	if n, err := st.PurgeablePayloads(ctx, cutoff); err != nil || n != 3 {
		t.Fatalf("purgeable = %d, %v; want 3 (old and settled)", n, err)
	}
	if n, err := st.PurgePayloads(ctx, cutoff, 2); err != nil || n != 3 {
		t.Fatalf("purged = %d, %v; want 3 in batches of 2", n, err)
	}
	for i, wantGone := range []bool{true, true, true, false, false, false} {
		ev, err := st.GetEventByKey(ctx, "dodo", fmt.Sprintf("evt_%d", i))
		if err != nil {
			t.Fatal(err)
		}
		gone := ev.PayloadPurgedAt.Valid && string(ev.Payload) == "null" && string(ev.Data) == "null"
		if gone != wantGone || ev.EventType != "payment.succeeded" {
			t.Errorf("evt_%d: purged %v (payload %s, data %s), want %v", i, ev.PayloadPurgedAt.Valid, ev.Payload, ev.Data, wantGone)
		}
	}
	// A redelivery of a purged event is a duplicate, not a changed body.
	ev, inserted, err := st.RecordEvent(ctx, store.NewEvent{Status: domain.StatusDispatched, Provider: "dodo", EventID: "evt_0", EventType: "payment.succeeded",
		Payload: []byte(`{"data":{}}`), WorkflowID: "dodo:evt_0"})
	if err != nil || inserted || ev.BodyChanged {
		t.Errorf("redelivery of a purged event: inserted %v, changed %v, %v", inserted, ev.BodyChanged, err)
	}
}
