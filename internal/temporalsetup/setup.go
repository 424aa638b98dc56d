// Package temporalsetup prepares a Temporal cluster for webhookd: the
// namespace exists, and webhookd's search attributes are registered on it
// as keywords. It is what `webhookd setup` runs as a one-shot job before the
// ingress and the worker start (docker-compose.yml, the Helm chart): without
// the attributes every start is rejected and every event waits in the 202
// path.
package temporalsetup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Options are what to set up.
type Options struct {
	Namespace string
	// Retention of closed runs, for a namespace that setup creates; an
	// existing namespace keeps its own.
	Retention time.Duration
	// Keywords are the keyword search attributes to register.
	Keywords []string
}

// ErrConflict is a state that retrying cannot fix: an attribute already
// registered with another type.
var ErrConflict = errors.New("temporal setup: conflict")

// Ensure makes one attempt: it creates the namespace when missing,
// registers the missing attributes, then reads them back. It reports what
// it changed; an error is either ErrConflict or worth retrying.
func Ensure(ctx context.Context, c client.Client, o Options) ([]string, error) {
	var done []string
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: o.Namespace})
	var notFound *serviceerror.NamespaceNotFound
	if errors.As(err, &notFound) {
		_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace: o.Namespace, WorkflowExecutionRetentionPeriod: durationpb.New(o.Retention),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if err == nil {
			done = append(done, fmt.Sprintf("created namespace %s (retention %s)", o.Namespace, o.Retention))
		} else if errors.As(err, &exists) {
			err = nil
		}
	}
	if err != nil {
		return done, fmt.Errorf("namespace %s: %w", o.Namespace, err)
	}
	added, err := Register(ctx, c, o.Namespace, o.Keywords)
	if err != nil {
		return done, err
	}
	if len(added) > 0 {
		done = append(done, "registered "+strings.Join(added, ", "))
	}
	// Read back: the frontend answers from its cache, which may lag the add.
	missing, err := check(ctx, c, o.Namespace, o.Keywords)
	if err == nil && len(missing) > 0 {
		err = fmt.Errorf("search attributes %s not visible yet", strings.Join(missing, ", "))
	}
	if err == nil {
		err = usable(ctx, c, o.Namespace, o.Keywords)
	}
	return done, err
}

// usable asks the frontend a visibility query over every keyword: the
// attributes are listed as soon as they are added, but a start that sets
// them is refused ("no mapping defined") until the frontend's namespace
// cache has them, which the same query checks. Not yet: an error, and Run
// tries again.
func usable(ctx context.Context, c client.Client, namespace string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	var terms []string
	for _, name := range names {
		terms = append(terms, name+` = "setup-probe"`)
	}
	_, err := c.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Namespace: namespace, Query: strings.Join(terms, " AND ")})
	if err != nil {
		return fmt.Errorf("search attributes %s not usable yet: %w", strings.Join(names, ", "), err)
	}
	return nil
}

// Register adds the keyword attributes of names that the namespace lacks
// and returns them (none: nothing to do); one registered with another type
// is ErrConflict.
func Register(ctx context.Context, c client.Client, namespace string, names []string) ([]string, error) {
	missing, err := check(ctx, c, namespace, names)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	add := map[string]enumspb.IndexedValueType{}
	for _, name := range missing {
		add[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: add})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return nil, fmt.Errorf("add search attributes %s: %w", strings.Join(missing, ", "), err)
	}
	return missing, nil
}

// check returns the attributes not registered yet; one registered with
// another type is ErrConflict.
func check(ctx context.Context, c client.Client, namespace string, names []string) ([]string, error) {
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes: %w", err)
	}
	var missing []string
	for _, name := range names {
		typ, ok := list.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case typ != enumspb.INDEXED_VALUE_TYPE_KEYWORD:
			return nil, fmt.Errorf("%w: search attribute %s is registered as %s, webhookd needs Keyword: remove it (temporal operator search-attribute remove) and run setup again",
				ErrConflict, name, typ)
		}
	}
	sort.Strings(missing)
	return missing, nil
}

// Run retries Ensure until it succeeds, a conflict stops it, or ctx ends,
// logging each failed attempt.
func Run(ctx context.Context, c client.Client, o Options, logger *slog.Logger) error {
	wait := time.Second
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		done, err := Ensure(actx, c, o)
		cancel()
		for _, d := range done {
			logger.Info(d)
		}
		if err == nil {
			logger.Info("temporal ready for webhookd", "namespace", o.Namespace, "search_attributes", strings.Join(o.Keywords, ","))
			return nil
		}
		if errors.Is(err, ErrConflict) {
			return err
		}
		logger.Warn("temporal not ready; retrying", "attempt", attempt, "in", wait.String(), "error", err.Error())
		select {
		case <-ctx.Done():
			return fmt.Errorf("temporal setup: gave up after %d attempts: %w (last: %v)", attempt, ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}
