package users_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/internal/users"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestImport(t *testing.T) {
	ctx := context.Background()
	st := store.New(pgtest.New(t))
	svc := &users.Service{Store: st}
	if err := st.UpsertUser(ctx, "usr_old", "old@example.com"); err != nil {
		t.Fatal(err)
	}
	csv := "\ufeffid,email\nusr_a,a@example.com\nusr_old,renewed@example.com\n\"usr_b\", b@example.com\nusr_c,not-an-address\nusr_d\n,e@example.com\nusr_f,a@example.com\n"
	res, err := svc.Import(ctx, strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	wantInvalid := []string{"line 5: email", "line 6: want 2 fields", "line 7: id: required", "line 8: email: the address belongs to another user"}
	if res.Created != 2 || res.Updated != 1 || len(res.Invalid) != len(wantInvalid) {
		t.Fatalf("csv: %+v", res)
	}
	for i, w := range wantInvalid {
		if !strings.HasPrefix(res.Invalid[i], w) {
			t.Errorf("invalid[%d] = %q, want %q…", i, res.Invalid[i], w)
		}
	}
	if u, _ := st.GetUser(ctx, "usr_old"); u.Email != "renewed@example.com" {
		t.Errorf("usr_old: %+v", u)
	}
	jsonl := `{"id":"usr_j","email":"j@example.com"}

{"id":"usr_k"}
not json
{"id":"usr_a","email":"a@example.com"}
`
	res, err = svc.Import(ctx, strings.NewReader(jsonl))
	if err != nil || res.Created != 1 || res.Updated != 1 || len(res.Invalid) != 2 ||
		!strings.HasPrefix(res.Invalid[0], "line 3: email") || !strings.HasPrefix(res.Invalid[1], "line 4: not a JSON object") {
		t.Errorf("json lines: %+v, %v", res, err)
	}
}

// An event naming an unknown user by the app's id, with an address,
// creates the user; without an address, or with creation off, the user
// stays unknown (the event fails as bad data).
func TestUsersFromEvents(t *testing.T) {
	ctx := context.Background()
	st := store.New(pgtest.New(t))
	u, err := st.ResolveUser(ctx, "dodo", store.Customer{UserID: "usr_new", CustomerID: "cus_new", Email: "new@example.com", Create: true})
	if err != nil || u.ID != "usr_new" || u.Email != "new@example.com" {
		t.Fatalf("created: %+v, %v", u, err)
	}
	if again, err := st.ResolveUser(ctx, "dodo", store.Customer{CustomerID: "cus_new"}); err != nil || again.ID != "usr_new" {
		t.Errorf("by the link learned: %+v, %v", again, err)
	}
	for _, c := range []store.Customer{
		{UserID: "usr_noaddr", Create: true},
		{UserID: "usr_off", Email: "off@example.com"},
	} {
		if _, err := st.ResolveUser(ctx, "dodo", c); err == nil {
			t.Errorf("%+v: created", c)
		} else if strings.Contains(err.Error(), "off@example.com") {
			t.Errorf("the error quotes the address: %v", err)
		}
	}
	// An address another user has: bad data, not a second user.
	if _, err := st.ResolveUser(ctx, "dodo", store.Customer{UserID: "usr_dup", Email: "NEW@example.com", Create: true}); err == nil {
		t.Error("a second user with the same address")
	}
}
