package provider_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/provider"
)

func providers(t testing.TB) map[string]*provider.Provider {
	t.Helper()
	dir := t.TempDir()
	path := dir + "/p.yaml"
	os.WriteFile(path, []byte(`providers:
  - name: stripe
    scheme: stripe
  - name: github
    scheme: github
  - name: acme
    scheme: hmac-hex
    signature_header: dodo-signature
`), 0o644)
	ps, err := provider.LoadProviders(path, true, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestParseEnvelope(t *testing.T) {
	ps := providers(t)
	h := http.Header{}
	h.Set("X-GitHub-Delivery", "d-1")
	h.Set("X-GitHub-Event", "push")
	signedAt := time.Unix(1_700_000_000, 0)
	tests := []struct {
		provider, body string
		header         http.Header
		id, typ        string
		data           string
		occurred       time.Time
	}{
		{"dodo", `{"type":"payment.succeeded","timestamp":"2026-01-01T00:00:00Z","data":{"a":1}}`, nil, "msg_1", "payment.succeeded", `{"a":1}`, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"dodo", `{"type":"payment.succeeded","data":{"a":1}}`, nil, "msg_1", "payment.succeeded", `{"a":1}`, signedAt},
		{"stripe", `{"id":"evt_1","type":"invoice.paid","created":1700000001,"data":{"object":{"b":2}}}`, nil, "evt_1", "invoice.paid", `{"b":2}`, time.Unix(1_700_000_001, 0).UTC()},
		{"github", `{"ref":"main"}`, h, "a934b65d9e929e7a924f901e05035152e791f1d2575f4b2adcb3721ec55d5e93", "push", `{"ref":"main"}`, signedAt},
		{"acme", `{"id":123,"type":"payment.failed","data":{"userId":"u"}}`, nil, "123", "payment.failed", `{"userId":"u"}`, signedAt},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			hdr := tt.header
			if hdr == nil {
				hdr = http.Header{}
			}
			env, err := ps[tt.provider].ParseEnvelope(hdr, []byte(tt.body), "msg_1", signedAt, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if env.ID != tt.id || env.Type != tt.typ || string(env.Data) != tt.data || !env.OccurredAt.Equal(tt.occurred) {
				t.Errorf("envelope = %+v (data %s), want %s %s %s %s", env, env.Data, tt.id, tt.typ, tt.data, tt.occurred)
			}
		})
	}
}

func TestParseEnvelopeRejects(t *testing.T) {
	ps := providers(t)
	for _, body := range []string{``, `hello`, `[1]`, `{"type":"t"} {"type":"u"}`, `{"data":{}}`, `{"type":""}`, `{"type":{"x":1}}`,
		`{"type":"has space"}`, `{"type":"` + strings.Repeat("x", 300) + `"}`, `null`} {
		_, err := ps["dodo"].ParseEnvelope(http.Header{}, []byte(body), "msg_1", time.Now(), time.Now())
		if !errors.Is(err, provider.ErrBadEnvelope) {
			t.Errorf("%.40s: err = %v, want ErrBadEnvelope", body, err)
		}
	}
	if _, err := ps["dodo"].ParseEnvelope(http.Header{}, []byte(`{"type":"t"}`), "", time.Now(), time.Now()); !errors.Is(err, provider.ErrBadEnvelope) {
		t.Errorf("no id: err = %v", err)
	}
	// What Temporal or PostgreSQL would refuse for good.
	for name, tc := range map[string]struct{ id, body string }{
		"non-ASCII id":                {"evt_é", `{"type":"t"}`},
		"full-width id":               {"ｅｖｔ１", `{"type":"t"}`},
		"id too long with the prefix": {strings.Repeat("x", 251), `{"type":"t"}`},
		"non-ASCII type":              {"evt_1", `{"type":"paiement.réussi"}`},
		"event time in year 10000":    {"evt_1", `{"type":"t","timestamp":253402300800}`},
		"event time of 9e18 ms":       {"evt_1", `{"type":"t","timestamp":9000000000000000000}`},
		"event time a week ahead":     {"evt_1", `{"type":"t","timestamp":"` + time.Now().Add(7*24*time.Hour).UTC().Format(time.RFC3339) + `"}`},
		"event time before 2000":      {"evt_1", `{"type":"t","timestamp":"1999-12-31T23:59:59Z"}`},
	} {
		if _, err := ps["dodo"].ParseEnvelope(http.Header{}, []byte(tc.body), tc.id, time.Now(), time.Now()); !errors.Is(err, provider.ErrBadEnvelope) {
			t.Errorf("%s: err = %v, want ErrBadEnvelope", name, err)
		}
	}
	// 250 bytes with "dodo:" is 255: the longest id that fits.
	if _, err := ps["dodo"].ParseEnvelope(http.Header{}, []byte(`{"type":"t"}`), strings.Repeat("x", 250), time.Now(), time.Now()); err != nil {
		t.Errorf("250-byte id: %v", err)
	}
}

func TestLoadProvidersErrorsNameTheField(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ yaml, want string }{
		{"providers:\n  - name: x\n    scheme: rot13\n", "scheme"},
		{"providers:\n  - name: x\n    scheme: stripe\n    allow_ips: [nope]\n", "allow_ips"},
		{"providers:\n  - name: X Y\n    scheme: stripe\n", "name"},
		{"providers:\n  - name: x\n    scheme: stripe\n    typo: 1\n", "typo"},
	} {
		path := dir + "/p.yaml"
		os.WriteFile(path, []byte(tt.yaml), 0o644)
		_, err := provider.LoadProviders(path, false, func(string) string { return "" }, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, provider.ErrConfig) {
			t.Errorf("%q: err = %v, want mention of %s (and ErrConfig: exit 2)", tt.yaml, err, tt.want)
		}
	}
	_, err := provider.LoadProviders("", true, func(k string) string {
		if k == "WEBHOOKD_SECRET_DODO" {
			return "whsec_!!!"
		}
		return ""
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "WEBHOOKD_SECRET_DODO") || !errors.Is(err, provider.ErrConfig) {
		t.Errorf("bad secret: err = %v, want it to name WEBHOOKD_SECRET_DODO (and ErrConfig: exit 2)", err)
	}
	// A preset's secret in the wrong form for its provider.
	path := dir + "/d.yaml"
	os.WriteFile(path, []byte("providers:\n  - name: discord\n    preset: discord\n"), 0o644)
	_, err = provider.LoadProviders(path, false, func(k string) string { return map[string]string{"WEBHOOKD_SECRET_DISCORD": "nothex"}[k] }, nil)
	if err == nil || !strings.Contains(err.Error(), "WEBHOOKD_SECRET_DISCORD") || strings.Contains(err.Error(), "nothex") || !errors.Is(err, provider.ErrConfig) {
		t.Errorf("bad public key: err = %v, want it to name the variable, not the value, and ErrConfig", err)
	}
}

func TestRotationSecrets(t *testing.T) {
	ps, err := provider.LoadProviders("", true, func(k string) string {
		if k == "WEBHOOKD_SECRET_DODO" {
			return "whsec_c2VjcmV0LW9uZQ==, whsec_c2VjcmV0LXR3bw=="
		}
		return ""
	}, map[string]string{"dodo": "whsec_ignored", "resend": "whsec_c2VjcmV0LXRocmVl"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ps["dodo"].Keys()); n != 2 {
		t.Errorf("dodo keys = %d, want 2 (env overrides the dev secret)", n)
	}
	if n := len(ps["resend"].Keys()); n != 1 {
		t.Errorf("resend keys = %d, want the dev secret", n)
	}
}

func FuzzParseEnvelope(f *testing.F) {
	for _, s := range []string{`{"type":"payment.succeeded","data":{"a":1}}`, `{"id":1,"type":"x","created":17}`, `[]`, `{"data":null}`, "{\"type\":\"\\u0000\"}"} {
		f.Add([]byte(s), "msg_1")
	}
	f.Add([]byte("webhook_id=42&SmsStatus=sent"), "")
	ps := providers(f)
	// Every preset, and a body read as a form as well as JSON.
	var file strings.Builder
	file.WriteString("providers:\n")
	for _, pr := range provider.Presets() {
		file.WriteString("  - name: p-" + pr.Name + "\n    preset: " + pr.Name + "\n")
	}
	cfg := f.TempDir() + "/presets.yaml"
	os.WriteFile(cfg, []byte(file.String()), 0o600)
	presets, err := provider.LoadProviders(cfg, false, func(string) string { return "" }, nil)
	if err != nil {
		f.Fatal(err)
	}
	names := []string{"dodo", "stripe", "github", "acme"}
	for name, p := range presets {
		ps[name] = p
		names = append(names, name)
	}
	headers := []http.Header{{}, {"Content-Type": {"application/x-www-form-urlencoded"}}}
	f.Fuzz(func(t *testing.T, body []byte, id string) {
		for i := range 2 * len(names) {
			name := names[i/2]
			env, err := ps[name].ParseEnvelope(headers[i%2], body, id, time.Time{}, time.Now())
			if err != nil {
				if !errors.Is(err, provider.ErrBadEnvelope) {
					t.Fatalf("%s: error %v is not ErrBadEnvelope", name, err)
				}
				continue
			}
			if env.ID == "" || env.Type == "" || len(name)+1+len(env.ID) > provider.MaxIDLength || strings.IndexFunc(env.ID+env.Type, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 ||
				(!env.OccurredAt.IsZero() && env.OccurredAt.Year() >= 10000) {
				t.Fatalf("%s: accepted envelope with bad id/type %q %q", name, env.ID, env.Type)
			}
		}
	})
}

func TestBuildEnvelopeRoundTrip(t *testing.T) {
	ps := providers(t)
	now := time.Unix(1_700_000_000, 0).UTC()
	for _, name := range []string{"dodo", "resend", "stripe", "github", "acme"} {
		t.Run(name, func(t *testing.T) {
			p := ps[name]
			h, body, err := p.BuildEnvelope("evt_rt", "payment.succeeded", now, []byte(`{"userId":"u"}`))
			if err != nil {
				t.Fatal(err)
			}
			env, err := p.ParseEnvelope(h, body, "evt_rt", now, now)
			if err != nil {
				t.Fatal(err)
			}
			wantID := "evt_rt"
			if p.EventID == provider.BodyHashID {
				sum := sha256.Sum256(body)
				wantID = hex.EncodeToString(sum[:])
			}
			if env.ID != wantID || env.Type != "payment.succeeded" || !env.OccurredAt.Equal(now) || string(env.Data) != `{"userId":"u"}` {
				t.Errorf("round trip = %+v (data %s)", env, env.Data)
			}
		})
	}
}
