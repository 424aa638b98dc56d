package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/temporalui"
)

// causePatterns strip what differs between failures of one cause: email
// addresses, UUIDs, quoted values, ids like usr_1 or pay_Nf7cAx1, hex, and
// numbers. "user \"usr_1\" not found" and "user \"usr_2\" not found" are one
// cause.
var causePatterns = []*regexp.Regexp{
	regexp.MustCompile(`[\w.+-]+@[\w-]+(\.[\w-]+)+`),
	regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`),
	regexp.MustCompile(`"[^"]*"`),
	regexp.MustCompile(`\b[A-Za-z]+_[A-Za-z0-9_]+\b`),
	regexp.MustCompile(`(?i)\b[0-9a-f]{12,}\b`),
	regexp.MustCompile(`\d+`),
}

// Cause is the root error with ids, numbers and addresses stripped: what
// failures of the same incident share.
func Cause(err string) string {
	c := err
	for _, re := range causePatterns {
		c = re.ReplaceAllString(c, "_")
	}
	return strings.Join(strings.Fields(c), " ")
}

// IncidentID is the workflow ID of the incident of a provider and cause:
// one incident per cause, across event types, whichever process reports
// it. The ingress's incidents pass their kind (SignatureIncident,
// DatabaseIncident) as eventType, which stays in their id; an event's type
// does not.
func IncidentID(provider, eventType, cause string) string {
	sum := sha256.Sum256([]byte(cause))
	if eventType == SignatureIncident || eventType == DatabaseIncident {
		return domain.Keyword("incident:" + provider + ":" + eventType + ":" + hex.EncodeToString(sum[:6]))
	}
	return domain.Keyword("incident:" + provider + ":" + hex.EncodeToString(sum[:6]))
}

// Incident is what an incident's message says.
type Incident struct {
	Provider, EventType, Cause string
	// Kind: opened (the first failure), summary (failures since), resolved.
	Kind      string
	Failed    int // failed events in all
	Recovered int // of those, succeeded since
	// Examples are the newest failures.
	Examples []Failure
	// Quiet: resolved because the type succeeded again after a quiet
	// period, not because every failed event recovered.
	Quiet bool
}

// IncidentAlert is the message of an incident.
func IncidentAlert(in Incident, ui temporalui.UI) Alert {
	in.Provider, in.EventType, in.Cause = Plain(in.Provider), Plain(in.EventType), Plain(in.Cause)
	for i := range in.Examples {
		in.Examples[i] = in.Examples[i].clean()
	}
	replay := fmt.Sprintf("webhookd events replay --status failed --provider %s --type %s --since 24h", in.Provider, in.EventType)
	a := Alert{Fields: []Field{{"Provider", in.Provider}, {"Event type", in.EventType},
		{"Failed", fmt.Sprint(in.Failed)}, {"Recovered", fmt.Sprint(in.Recovered)}}, Error: in.Cause}
	var newest Failure
	if len(in.Examples) > 0 {
		newest = in.Examples[len(in.Examples)-1]
		a.Error = newest.Error
		a.Link, a.LinkText = ui.RunOrRuns(newest.WorkflowID, newest.RunID), "Open the newest failed run"
	}
	switch in.Kind {
	case "opened":
		f := FailureAlert(newest, ui)
		f.Title = "Incident: " + f.Title
		f.Footer += " · later failures of this cause are summed up here"
		return f
	case "summary":
		a.Summary = fmt.Sprintf("webhookd: %s %s still failing: %d events in all", in.Provider, in.EventType, in.Failed)
		a.Title = fmt.Sprintf("Still failing: %s %s (%d events)", in.Provider, in.EventType, in.Failed)
		var ids []string
		for _, e := range in.Examples {
			ids = append(ids, e.EventID)
		}
		a.Fields = append(a.Fields, Field{"Newest", strings.Join(ids, ", ")})
		a.Footer = "After fixing the cause: " + Code(replay)
	default:
		a.Summary = fmt.Sprintf("webhookd: resolved: %s %s (%d failed, %d recovered, %d still failed)",
			in.Provider, in.EventType, in.Failed, in.Recovered, in.Failed-in.Recovered)
		a.Title = "Resolved: " + in.Provider + " " + in.EventType
		a.Fields = append(a.Fields, Field{"Still failed", fmt.Sprint(in.Failed - in.Recovered)})
		a.Footer = "Every failed event of this cause succeeded since."
		if in.Quiet {
			a.Footer = "The type succeeds again after a quiet period. Events still failed: " + Code(replay)
		}
	}
	return a
}
