package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/api"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/internal/users"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type client struct {
	t   *testing.T
	url string
}

func (c client) do(method, path, token string, body []byte) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func start(t *testing.T) (client, *store.Store) {
	t.Helper()
	st := store.New(pgtest.New(t))
	h, err := api.New(api.Options{Users: &users.Service{Store: st}, Store: st, Tokens: []string{"old-token", " new-token "}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return client{t, srv.URL}, st
}

func TestNeedsAToken(t *testing.T) {
	if _, err := api.New(api.Options{Tokens: []string{" "}}); err == nil {
		t.Error("an API without a token started")
	}
	c, _ := start(t)
	for _, token := range []string{"", "wrong", "old-token2", "new"} {
		if code, _ := c.do("GET", "/v1/users/usr_1", token, nil); code != 401 {
			t.Errorf("token %q: %d, want 401", token, code)
		}
	}
	for _, token := range []string{"old-token", "new-token"} { // either, during a rotation
		if code, _ := c.do("GET", "/v1/users/usr_1", token, nil); code != 404 {
			t.Errorf("token %q: %d, want 404", token, code)
		}
	}
	if code, _ := c.do("GET", "/v1/openapi.json", "", nil); code != 200 {
		t.Errorf("openapi.json: %d", code)
	}
}

func TestUsers(t *testing.T) {
	c, st := start(t)
	ctx := context.Background()
	const tok = "new-token"
	code, u := c.do("PUT", "/v1/users/usr_api", tok, []byte(`{"email":"api@example.com"}`))
	if code != 200 || u["id"] != "usr_api" || u["email"] != "api@example.com" || u["plan"] != "free" || u["email_valid"] != true {
		t.Fatalf("put: %d %v", code, u)
	}
	if code, u := c.do("PUT", "/v1/users/usr_api", tok, []byte(`{"email":"new@example.com"}`)); code != 200 || u["email"] != "new@example.com" {
		t.Errorf("put again: %d %v", code, u)
	}
	if _, err := st.RecordPayment(ctx, store.Payment{ID: "pay_api", UserID: "usr_api", Amount: 12345, Currency: "KWD", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(30 * 24 * time.Hour)
	if _, err := st.ApplySubscription(ctx, store.SubscriptionChange{ID: "sub_api", UserID: "usr_api", Plan: "pro", Status: "active",
		CurrentPeriodEnd: &end, UserPlan: "pro", OccurredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	code, u = c.do("GET", "/v1/users/usr_api", tok, nil)
	subs, _ := u["subscriptions"].([]any)
	pays, _ := u["last_payments"].([]any)
	if code != 200 || u["plan"] != "pro" || len(subs) != 1 || len(pays) != 1 || pays[0].(map[string]any)["display"] != "12.345 KWD" {
		t.Errorf("get: %d %v", code, u)
	}

	// Client mistakes: 4xx naming the field, never a 500.
	long := strings.Repeat("x", users.MaxIDBytes+1)
	for _, tc := range []struct {
		method, path, body string
		code               int
		field              string
	}{
		{"PUT", "/v1/users/usr_x", `{"email":"not an address"}`, 400, "email"},
		{"PUT", "/v1/users/usr_x", `{"email":"Name <a@b.example>"}`, 400, "email"},
		{"PUT", "/v1/users/usr_x", `{"email":`, 400, "body"},
		{"PUT", "/v1/users/usr_x", `{}`, 400, "email"},
		{"PUT", "/v1/users/usr_x", `{"email":"new@example.com"}`, 400, "email"}, // usr_api's
		{"PUT", "/v1/users/" + long, `{"email":"l@example.com"}`, 400, "id"},
		{"PUT", "/v1/users/usr_x", `{"email":"` + strings.Repeat("a", api.MaxBody) + `"}`, 413, ""},
		{"GET", "/v1/users/" + long, "", 400, "id"},
		{"GET", "/v1/users/usr_nobody", "", 404, ""},
		{"GET", "/v1/events?status=lost", "", 400, "status"},
		{"GET", "/v1/events?limit=0", "", 400, "limit"},
		{"GET", "/v1/events?since=yesterday", "", 400, "since"},
		{"GET", "/v1/events/dodo/evt_none", "", 404, ""},
		{"POST", "/v1/users/usr_x", "", 405, ""},
		{"GET", "/v2/anything", "", 404, ""},
	} {
		code, body := c.do(tc.method, tc.path, tok, []byte(tc.body))
		if code != tc.code || (tc.field != "" && body["field"] != tc.field) {
			t.Errorf("%s %.60s %.40s: %d %v, want %d field %q", tc.method, tc.path, tc.body, code, body, tc.code, tc.field)
		}
	}

	// The event log, by user.
	ev, _, err := st.RecordEvent(ctx, store.NewEvent{Provider: "dodo", EventID: "evt_api", EventType: "payment.succeeded",
		Payload: []byte(`{"data":{"customer":{"email":"new@example.com"}}}`), WorkflowID: "dodo:evt_api", Status: domain.StatusDispatched})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetEventStatus(ctx, store.EventStatusUpdate{Provider: "dodo", EventID: "evt_api", Status: domain.StatusSucceeded, UserID: "usr_api"}); err != nil {
		t.Fatal(err)
	}
	code, list := c.do("GET", "/v1/events?user_id=usr_api&since=1h", tok, nil)
	evs, _ := list["events"].([]any)
	if code != 200 || len(evs) != 1 || evs[0].(map[string]any)["event_id"] != "evt_api" || evs[0].(map[string]any)["user_id"] != "usr_api" {
		t.Errorf("events of usr_api: %d %v", code, list)
	}
	if code, one := c.do("GET", "/v1/events/dodo/evt_api", tok, nil); code != 200 || one["payload"] == nil {
		t.Errorf("event: %d %v", code, one)
	}

	// Erasure: the person goes, the books stay under a tombstone.
	code, er := c.do("DELETE", "/v1/users/usr_api", tok, nil)
	tomb, _ := er["tombstone"].(string)
	if code != 200 || er["user"] != true || !strings.HasPrefix(tomb, "erased_") || er["payments_kept_under_tombstone"] != 1.0 || er["event_payloads_removed"] != 1.0 {
		t.Fatalf("erase: %d %v", code, er)
	}
	if code, _ := c.do("GET", "/v1/users/usr_api", tok, nil); code != 404 {
		t.Errorf("after the erasure: %d", code)
	}
	if ps, _ := st.Payments(ctx, tomb); len(ps) != 1 || ps[0].Amount != 12345 {
		t.Errorf("payments under the tombstone: %+v", ps)
	}
	if got, _ := st.GetEvent(ctx, ev.ID); got.PayloadPurgedAt.Valid != true || string(got.Payload) != "null" || strings.Contains(string(got.Payload), "new@example.com") {
		t.Errorf("the erased user's event keeps %s", got.Payload)
	}
	if code, er := c.do("DELETE", "/v1/users/usr_api", tok, nil); code != 200 || er["user"] != false {
		t.Errorf("erase again: %d %v", code, er)
	}
}

// The served routes and the OpenAPI document agree.
func TestRoutesMatchTheDocument(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	served := append(api.Routes(), "GET /v1/openapi.json")
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("documented %v\nserved     %v", documented, served)
	}
	// And each documented route answers as a route (401 without a token),
	// not as an unknown path.
	c, _ := start(t)
	for _, r := range api.Routes() {
		method, path, _ := strings.Cut(r, " ")
		path = strings.NewReplacer("{id}", "usr_1", "{provider}", "dodo", "{event_id}", "evt_1").Replace(path)
		if code, _ := c.do(method, path, "", nil); code != 401 {
			t.Errorf("%s: %d without a token, want 401", r, code)
		}
	}
}
