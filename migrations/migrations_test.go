package migrations_test

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/migrations"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func tables(t *testing.T, db *sql.DB) map[string]bool {
	t.Helper()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got[n] = true
	}
	return got
}

// newProvider is a goose provider over a new, empty database.
func newProvider(t *testing.T) (*sql.DB, *goose.Provider) {
	t.Helper()
	db, err := sql.Open("postgres", pgtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := migrations.NewProvider(db)
	if err != nil {
		t.Fatal(err)
	}
	return db, p
}

func TestUpDownUp(t *testing.T) {
	ctx := context.Background()
	db, p := newProvider(t)
	want := []string{"webhook_events", "users", "subscriptions", "payments", "email_logs"}

	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	got := tables(t, db)
	for _, name := range want {
		if !got[name] {
			t.Errorf("after up: table %s missing", name)
		}
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	got = tables(t, db)
	for _, name := range want {
		if got[name] {
			t.Errorf("after down: table %s still there", name)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v < 1 {
		t.Errorf("version after up = %d, want >= 1", v)
	}
	// The unique key that guards duplicate deliveries is in place.
	ins := `INSERT INTO webhook_events (provider, event_id, event_type, payload, workflow_id) VALUES ('dodo', 'evt_1', 't', '{}', 'dodo:evt_1')`
	if _, err := db.Exec(ins); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ins); err == nil {
		t.Error("second insert of the same provider+event_id succeeded; want unique violation")
	}
}

// Rows recorded before the data column get it from their envelope, where
// each scheme's default puts it.
func TestEventDataBackfill(t *testing.T) {
	ctx := context.Background()
	db, p := newProvider(t)
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	rows := map[string][2]string{ // event id → payload, want data
		"standard": {`{"type":"payment.succeeded","data":{"payment_id":"pay_1"}}`, `{"payment_id": "pay_1"}`},
		"stripe":   {`{"id":"evt_1","object":"event","data":{"object":{"id":"in_1","object":"invoice"}}}`, `{"id": "in_1", "object": "invoice"}`},
		"github":   {`{"action":"opened","number":1}`, `{"action": "opened", "number": 1}`},
		"nulldata": {`{"type":"t","data":null}`, `null`},
	}
	for id, r := range rows {
		if _, err := db.Exec(`INSERT INTO webhook_events (provider, event_id, event_type, payload, workflow_id) VALUES ('p', $1, 't', $2, $1)`, id, r[0]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.UpTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	for id, r := range rows {
		var got sql.NullString
		if err := db.QueryRow(`SELECT data::text FROM webhook_events WHERE event_id = $1`, id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := r[1]; (want == "null" && got.Valid) || (want != "null" && got.String != want) {
			t.Errorf("%s: data = %v, want %s", id, got, want)
		}
	}
}
