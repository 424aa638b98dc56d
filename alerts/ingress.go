package alerts

import (
	"fmt"
	"strings"
	"time"
)

const (
	// SignatureIncident is the event type of the incident of a provider's
	// rejected deliveries: it resolves once any event of the provider
	// succeeds after the quiet period.
	SignatureIncident = "signature"
	// DatabaseIncident is the event type of the incident of the ingress
	// answering 503 (PostgreSQL unreachable), provider "ingress": it
	// resolves once any event succeeds after the quiet period.
	DatabaseIncident = "database"
)

// DatabaseUnreachable is the failure the ingress reports when it has
// answered 503 count times within window because PostgreSQL is down.
func DatabaseUnreachable(count int, window time.Duration) Failure {
	return Failure{Provider: "ingress", EventType: DatabaseIncident,
		Error: fmt.Sprintf("%d deliveries answered 503 within %s: PostgreSQL unreachable; providers are retrying", count, shortDuration(window)),
		Hint:  "DATABASE_URL / --database-url: is PostgreSQL up and reachable from the ingress?"}
}

// SignatureRejected is the failure the ingress reports when a provider's
// deliveries were rejected count times within window for their
// signature; reasons counts them by reason, secretEnv names the variable
// of the provider's secret.
func SignatureRejected(provider string, count int, window time.Duration, reasons map[string]int, secretEnv string) Failure {
	return Failure{Provider: provider, EventType: SignatureIncident,
		Error: fmt.Sprintf("%d deliveries rejected within %s: invalid signature (%s)", count, shortDuration(window), reasonList(reasons)),
		Hint:  secretEnv + ": the provider's signing secret (rotated at the provider but not here?)"}
}

// reasonList is "mismatch 12, stale 3", in a stable order.
func reasonList(reasons map[string]int) string {
	var parts []string
	for _, r := range []string{"mismatch", "stale", "missing", "malformed"} {
		if n := reasons[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, n))
		}
	}
	return strings.Join(parts, ", ")
}

// shortDuration is 1m rather than 1m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
