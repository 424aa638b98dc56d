package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// runs stands in for Temporal: per event id, the error its start returns.
type runs struct {
	mu      sync.Mutex
	fail    map[string]error
	started []string
}

func (r *runs) Start(_ context.Context, ev store.Event) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.fail[ev.EventID]; err != nil {
		return "", err
	}
	r.started = append(r.started, ev.EventID)
	return "run-" + ev.EventID, nil
}

func (r *runs) Fits(ev store.Event) error {
	if len(ev.Data) > 1<<20 {
		return lifecycle.ErrTooLarge
	}
	return nil
}

func (r *runs) Restart(ctx context.Context, ev store.Event) (string, error) { return r.Start(ctx, ev) }
func (r *runs) Current(context.Context, store.Event) (string, error)        { return "", nil }
func (r *runs) Ping(context.Context) error                                  { return nil }

// record stores events as the ingress does when Temporal is unreachable:
// recorded, then put back to received.
func record(t *testing.T, st *store.Store, ids ...string) {
	t.Helper()
	ctx := context.Background()
	for _, id := range ids {
		if _, _, err := st.RecordEvent(ctx, store.NewEvent{Status: domain.StatusDispatched, Provider: "dodo", EventID: id, EventType: "t",
			Payload: []byte(`{}`), WorkflowID: "dodo:" + id}); err != nil {
			t.Fatal(err)
		}
		if err := st.Requeue(ctx, "dodo", id); err != nil {
			t.Fatal(err)
		}
	}
}

// A row whose start can never succeed, and one whose start fails for a
// reason of its own, ahead of good rows: the good rows start in the same
// sweep, the first bad row ends failed with the reason (and on-call is
// told), the second waits for a later sweep.
func TestSweepGoesPastBadEvents(t *testing.T) {
	ctx := context.Background()
	st := store.New(pgtest.New(t))
	record(t, st, "evt_invalid", "evt_limited", "evt_ok1", "evt_ok2")
	r := &runs{fail: map[string]error{
		"evt_invalid": fmt.Errorf("runs: start: %w: WorkflowId is not valid UTF-8", lifecycle.ErrRefused),
		"evt_limited": errors.New("namespace rate limit exceeded"),
	}}
	var alerted []string
	svc := &lifecycle.Service{Store: st, Runs: r, OnStartFailed: func(_ context.Context, ev store.Event, reason string) {
		alerted = append(alerted, ev.EventID+": "+reason)
	}}
	n, err := svc.Sweep(ctx, lifecycle.Ages{})
	if err != nil || n != 2 || strings.Join(r.started, ",") != "evt_ok1,evt_ok2" {
		t.Fatalf("sweep = %d, %v, started %v; want the two good events", n, err, r.started)
	}
	bad, _ := st.GetEventByKey(ctx, "dodo", "evt_invalid")
	if bad.Status != domain.StatusFailed || !strings.Contains(bad.LastError.String, "WorkflowId is not valid UTF-8") {
		t.Errorf("evt_invalid: %s %q; want failed with the reason", bad.Status, bad.LastError.String)
	}
	if len(alerted) != 1 || !strings.HasPrefix(alerted[0], "evt_invalid: its run could not be started") {
		t.Errorf("alerts = %q", alerted)
	}
	limited, _ := st.GetEventByKey(ctx, "dodo", "evt_limited")
	if limited.Status != domain.StatusReceived {
		t.Errorf("evt_limited: %s; want received, deferred", limited.Status)
	}
	// Deferred: the next sweep does not try it yet.
	delete(r.fail, "evt_limited")
	if n, err := svc.Sweep(ctx, lifecycle.Ages{}); n != 0 || err != nil {
		t.Errorf("second sweep = %d, %v; want nothing (evt_limited deferred)", n, err)
	}
}

// Temporal unreachable: the sweep stops at the first event and tries them
// all again next tick; nothing is failed or deferred.
func TestSweepStopsWhileTemporalIsDown(t *testing.T) {
	ctx := context.Background()
	st := store.New(pgtest.New(t))
	record(t, st, "evt_1", "evt_2")
	down := fmt.Errorf("%w: connection refused", lifecycle.ErrUnreachable)
	r := &runs{fail: map[string]error{"evt_1": down, "evt_2": down}}
	svc := &lifecycle.Service{Store: st, Runs: r}
	if n, err := svc.Sweep(ctx, lifecycle.Ages{}); n != 0 || !errors.Is(err, lifecycle.ErrUnreachable) {
		t.Fatalf("sweep = %d, %v; want the unavailable error", n, err)
	}
	r.fail = nil
	if n, err := svc.Sweep(ctx, lifecycle.Ages{}); n != 2 || err != nil {
		t.Fatalf("sweep after Temporal is back = %d, %v; want 2", n, err)
	}
}

// A workflow input Temporal would refuse (Runs.Fits) is refused before
// anything is recorded.
func TestAcceptRefusesOversizeInput(t *testing.T) {
	st := store.New(pgtest.New(t))
	svc := &lifecycle.Service{Store: st, Runs: &runs{}}
	data := []byte(`"` + strings.Repeat("<", 1<<20) + `"`) // 1 MiB of data, 6 MiB encoded
	_, err := svc.Accept(context.Background(), store.NewEvent{Provider: "dodo", EventID: "evt_big", EventType: "t",
		Payload: []byte(`{}`), Data: data, WorkflowID: "dodo:evt_big", OccurredAt: time.Now()})
	if !errors.Is(err, lifecycle.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if _, err := st.GetEventByKey(context.Background(), "dodo", "evt_big"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the event was recorded: %v", err)
	}
}

// racingStore is a store where, between a redelivery's read of a failed
// event and its claim, another redelivery reruns the event and the rerun
// fails again at once: the first redelivery saw the old failure and must
// not rerun the new one.
type racingStore struct {
	*store.Store
	t *testing.T
}

func (r racingStore) RecordEvent(ctx context.Context, e store.NewEvent) (store.Event, bool, error) {
	ev, inserted, err := r.Store.RecordEvent(ctx, e)
	if err == nil && !inserted && ev.Status == domain.StatusFailed {
		if won, err := r.Store.ClaimRerun(ctx, ev.Provider, ev.EventID, domain.StatusFailed, ev.Attempts); err != nil || !won {
			r.t.Fatalf("the other redelivery's claim: %v, %v", won, err)
		}
		if err := r.Store.MarkDispatched(ctx, ev.Provider, ev.EventID, "run-2"); err != nil {
			r.t.Fatal(err)
		}
		if err := r.Store.SetEventStatus(ctx, store.EventStatusUpdate{Provider: ev.Provider, EventID: ev.EventID, Status: domain.StatusFailed, LastError: "bad data"}); err != nil {
			r.t.Fatal(err)
		}
	}
	return ev, inserted, err
}

func TestRedeliveryDoesNotRerunAFailureItDidNotSee(t *testing.T) {
	ctx := context.Background()
	st := store.New(pgtest.New(t))
	r := &runs{}
	e := store.NewEvent{Provider: "dodo", EventID: "evt_f", EventType: "t", Payload: []byte(`{}`), WorkflowID: "dodo:evt_f"}
	if _, err := (&lifecycle.Service{Store: st, Runs: r}).Accept(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := st.SetEventStatus(ctx, store.EventStatusUpdate{Provider: "dodo", EventID: "evt_f", Status: domain.StatusFailed, LastError: "bad data"}); err != nil {
		t.Fatal(err)
	}
	acc, err := (&lifecycle.Service{Store: racingStore{st, t}, Runs: r}).Accept(ctx, e)
	if err != nil || acc.Rerun || len(r.started) != 1 {
		t.Fatalf("accept = %+v, %v, starts %v; want a duplicate and no second start", acc, err, r.started)
	}
}
