package provider

import (
	"errors"
	"fmt"
	"path"
)

// Route hands a provider's events to a team's own Temporal workflow: a
// child workflow of the event's run, of type Workflow on TaskQueue, that
// the team's worker (any SDK) polls.
type Route struct {
	// Name names the child (its id is {event's workflow id}/{Name});
	// default: the workflow type.
	Name     string `yaml:"name"`
	Provider string `yaml:"provider"`
	// Types are exact event types or globs (path.Match: `pull_request*`,
	// `*`).
	Types     []string `yaml:"types"`
	Workflow  string   `yaml:"workflow"`
	TaskQueue string   `yaml:"task_queue"`
	// Wait (default true): the event's status follows the handler's.
	Wait *bool `yaml:"wait"`
}

// RouteSpec is a route as an event keeps it (in its Spec) and its run
// starts it.
type RouteSpec struct {
	Name      string   `json:"name"`
	Types     []string `json:"types"`
	Workflow  string   `json:"workflow"`
	TaskQueue string   `json:"task_queue"`
	NoWait    bool     `json:"no_wait,omitempty"`
}

// Matches reports whether the route takes the event type.
func (r RouteSpec) Matches(eventType string) bool {
	for _, t := range r.Types {
		if ok, _ := path.Match(t, eventType); ok || t == eventType {
			return true
		}
	}
	return false
}

// Routes of s that take the event type, in the providers file's order.
func (s Spec) RoutesFor(eventType string) []RouteSpec {
	var out []RouteSpec
	for _, r := range s.Routes {
		if r.Matches(eventType) {
			out = append(out, r)
		}
	}
	return out
}

// ErrConfig marks a providers file webhookd cannot run with (exit 2).
var ErrConfig = errors.New("providers file")

// attachRoutes checks the file's routes and gives each provider its own.
func attachRoutes(routes []Route, providers map[string]*Provider) error {
	seen := map[string]bool{}
	for i, r := range routes {
		where := fmt.Sprintf("--config / WEBHOOKD_CONFIG: routes[%d]", i)
		p, ok := providers[r.Provider]
		switch {
		case !ok:
			return fmt.Errorf("%s: %w: unknown provider %q (providers: %v)", where, ErrConfig, r.Provider, Names(providers))
		case r.Workflow == "":
			return fmt.Errorf("%s: %w: workflow (the workflow type) is required", where, ErrConfig)
		case r.TaskQueue == "":
			return fmt.Errorf("%s: %w: task_queue (the queue the handler's worker polls) is required", where, ErrConfig)
		case len(r.Types) == 0:
			return fmt.Errorf("%s: %w: types is required (exact names or globs such as \"*\")", where, ErrConfig)
		}
		for _, t := range r.Types {
			if _, err := path.Match(t, ""); err != nil {
				return fmt.Errorf("%s: %w: type pattern %q: %v", where, ErrConfig, t, err)
			}
		}
		spec := RouteSpec{Name: r.Name, Types: r.Types, Workflow: r.Workflow, TaskQueue: r.TaskQueue, NoWait: r.Wait != nil && !*r.Wait}
		if spec.Name == "" {
			spec.Name = r.Workflow
		}
		if seen[r.Provider+"/"+spec.Name] {
			return fmt.Errorf("%s: %w: provider %s has two routes named %q (set name:)", where, ErrConfig, r.Provider, spec.Name)
		}
		seen[r.Provider+"/"+spec.Name] = true
		p.Routes = append(p.Routes, spec)
	}
	return nil
}
