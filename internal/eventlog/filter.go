package eventlog

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/store"
)

// Filter selects events as `events list` and `events replay` take it.
type Filter struct {
	Provider, Type, Status string
	// Since is the window of received events that count.
	Since time.Duration
	Limit int
}

// ErrBadFilter is what a filter that cannot be read is (errors.Is).
var ErrBadFilter = errors.New("bad event filter")

type badFilter struct{ error }

func (badFilter) Is(target error) bool { return target == ErrBadFilter }
func (b badFilter) Unwrap() error      { return b.error }

// Bind adds the filter's flags to fs; withLimit adds --limit.
func (f *Filter) Bind(fs *pflag.FlagSet, withLimit bool) {
	fs.StringVar(&f.Provider, "provider", "", "only this provider")
	fs.StringVar(&f.Type, "type", "", "only this event type")
	fs.StringVar(&f.Status, "status", "", "only this status: "+statusNames())
	fs.DurationVar(&f.Since, "since", 24*time.Hour, "only events received within this window")
	if withLimit {
		fs.IntVar(&f.Limit, "limit", 50, "at most this many events")
	}
}

// Store is the store's filter for the events received within Since of
// now; an error names the flag and is ErrBadFilter.
func (f Filter) Store(now time.Time) (store.EventFilter, error) {
	out := store.EventFilter{Provider: f.Provider, Type: f.Type, Since: now.Add(-f.Since), Limit: f.Limit}
	if f.Status != "" {
		st, err := domain.ParseStatus(f.Status)
		if err != nil {
			return out, badFilter{fmt.Errorf("--status: %w", err)}
		}
		out.Status = st
	}
	if f.Since <= 0 {
		return out, badFilter{fmt.Errorf("--since: must be positive, got %s", f.Since)}
	}
	if f.Limit < 0 {
		return out, badFilter{fmt.Errorf("--limit: must be positive, got %d", f.Limit)}
	}
	return out, nil
}

func statusNames() string {
	var names []string
	for _, st := range domain.Statuses() {
		names = append(names, string(st))
	}
	return strings.Join(names, ", ")
}
