package domain

import (
	"fmt"
	"strings"
)

// Status is where a recorded webhook event is in its life. The values are
// the ones stored in webhook_events.status; the moves between them are the
// rules of internal/lifecycle, drawn as a table in docs/events.md.
type Status string

// The statuses of an event.
const (
	// StatusReceived: recorded, no run started (Temporal was unreachable,
	// or a rerun was claimed and is about to start).
	StatusReceived Status = "received"
	// StatusDispatched: a run was started (or is being started) and has
	// not written its outcome yet.
	StatusDispatched Status = "dispatched"
	// StatusSucceeded: the run applied the event.
	StatusSucceeded Status = "succeeded"
	// StatusFailed: the run failed for good, or its run could never be
	// started; a replay or the provider's redelivery runs it again.
	StatusFailed Status = "failed"
	// StatusIgnored: no handler for the event type; nothing was applied.
	StatusIgnored Status = "ignored"
)

// Statuses lists every status in the order of an event's life.
func Statuses() []Status {
	return []Status{StatusReceived, StatusDispatched, StatusSucceeded, StatusFailed, StatusIgnored}
}

// ParseStatus returns the status named s, or an error listing the valid ones.
func ParseStatus(s string) (Status, error) {
	names := make([]string, 0, 5)
	for _, st := range Statuses() {
		if string(st) == s {
			return st, nil
		}
		names = append(names, string(st))
	}
	return "", fmt.Errorf("%q is not a status: want one of %s", s, strings.Join(names, ", "))
}
