// Package examples embeds a sample "data" object for every event type
// ProcessWebhook handles, in its generic shapes (userId, paymentId, …). `webhookd send` uses them
// when no --data is given; they refer to the dev demo user usr_demo.
package examples

import (
	"embed"
	"encoding/json"
	"fmt"
)

//go:embed *.json
var files embed.FS

// Data returns the sample data of an event type.
func Data(eventType string) (json.RawMessage, error) {
	b, err := files.ReadFile(eventType + ".json")
	if err != nil {
		return nil, fmt.Errorf("no example payload for %q: pass --data", eventType)
	}
	return b, nil
}
