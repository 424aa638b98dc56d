package alerts_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// waiting records events as the ingress does when Temporal is unreachable.
func waiting(t *testing.T, st *store.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, _, err := st.RecordEvent(context.Background(), store.NewEvent{Status: domain.StatusReceived, Provider: "dodo",
			EventID: id, EventType: "t", Payload: []byte(`{}`), WorkflowID: "dodo:" + id}); err != nil {
			t.Fatal(err)
		}
	}
}

// Events waiting for Temporal past the threshold post one incident
// straight to the sinks, and its resolution once none wait; a second
// worker checking at the same time posts neither again.
func TestBacklogIncident(t *testing.T) {
	ctx := context.Background()
	st := store.New(pgtest.New(t))
	waiting(t, st, "evt_w1", "evt_w2")
	var posts []string
	post := func(_ context.Context, a alerts.Alert) error { posts = append(posts, a.Title); return nil }
	later := time.Now().Add(3 * time.Minute)
	for worker := 0; worker < 2; worker++ {
		if err := alerts.CheckBacklog(ctx, st, 2*time.Minute, later, post); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"evt_w1", "evt_w2"} {
		if err := st.MarkDispatched(ctx, "dodo", id, "run-"+id); err != nil {
			t.Fatal(err)
		}
	}
	for worker := 0; worker < 2; worker++ {
		if err := alerts.CheckBacklog(ctx, st, 2*time.Minute, later, post); err != nil {
			t.Fatal(err)
		}
	}
	if want := "[Backlog: events waiting for Temporal Resolved: backlog]"; fmt.Sprint(posts) != want {
		t.Errorf("posts = %v, want %s", posts, want)
	}
}
