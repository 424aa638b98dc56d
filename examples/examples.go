// Package examples embeds a sample "data" object for every event type
// webhookd handles: in the shapes of Dodo Payments', Resend's and Stripe's
// own objects (dodo/, resend/, stripe/: built from their published SDK
// types), and in
// the generic shapes (userId, paymentId, …) at the top. `webhookd send`
// uses them when no --data is given, and the provider tests read them;
// they refer to the dev demo user usr_demo <demo@example.com>.
package examples

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
)

//go:embed *.json dodo/*.json resend/*.json stripe/*.json
var files embed.FS

// Data returns the sample data of an event type in a provider format's
// shape, else in the generic shape.
func Data(format, eventType string) (json.RawMessage, error) {
	if b, err := files.ReadFile(format + "/" + eventType + ".json"); err == nil {
		return b, nil
	}
	b, err := files.ReadFile(eventType + ".json")
	if err != nil {
		return nil, fmt.Errorf("no example payload for %q (%s): pass --data; examples: %s", eventType, format, strings.Join(Types(format), ", "))
	}
	return b, nil
}

// Types lists the event types with an example in a format's shape ("" or
// "generic": the generic shapes).
func Types(format string) []string {
	dir := "."
	if format != "" && format != "generic" {
		dir = format
	}
	entries, _ := fs.ReadDir(files, dir)
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Load is the data object a command line names: arg as JSON, @file, or
// empty for the example of the event type in format's shape.
func Load(arg, format, eventType string) (json.RawMessage, error) {
	var raw []byte
	switch {
	case arg == "":
		return Data(format, eventType)
	case strings.HasPrefix(arg, "@"):
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
		raw = b
	default:
		raw = []byte(arg)
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("--data: not valid JSON")
	}
	return raw, nil
}
