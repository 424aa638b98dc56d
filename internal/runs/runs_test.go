package runs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"

	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/store"
)

// A workflow input over Temporal's blob size once the SDK escapes <, >
// and & is too large, though its data is half the limit.
func TestFits(t *testing.T) {
	tr := &Temporal{}
	small := store.Event{Provider: "dodo", EventID: "evt_1", EventType: "t", Data: []byte(`{"a":1}`)}
	if err := tr.Fits(small); err != nil {
		t.Errorf("small input: %v", err)
	}
	big := small
	big.Data = []byte(`"` + strings.Repeat("<", 1<<20) + `"`) // 1 MiB of data, 6 MiB encoded
	if err := tr.Fits(big); !errors.Is(err, lifecycle.ErrTooLarge) {
		t.Errorf("big input: %v, want ErrTooLarge", err)
	}
}

// Temporal's errors, as the event life reads them.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error // nil: neither unreachable nor refused
	}{
		{serviceerror.NewUnavailable("connection refused"), lifecycle.ErrUnreachable},
		{serviceerror.NewDeadlineExceeded("slow"), lifecycle.ErrUnreachable},
		{serviceerror.NewInvalidArgument("WorkflowId is not valid UTF-8"), lifecycle.ErrRefused},
		{fmt.Errorf("encode: %w", errors.New("unsupported type")), lifecycle.ErrRefused},
		{serviceerror.NewResourceExhausted(0, "namespace rate limit exceeded"), nil},
		{context.DeadlineExceeded, nil}, // the lifecycle reads a context's end itself
	} {
		got := classify(tc.err)
		for _, sentinel := range []error{lifecycle.ErrUnreachable, lifecycle.ErrRefused} {
			if errors.Is(got, sentinel) != (sentinel == tc.want) {
				t.Errorf("classify(%v) = %v; want %v", tc.err, got, tc.want)
			}
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("classify(%v) lost the cause", tc.err)
		}
	}
}
