// Package handler is what a team's own Temporal workflow receives from a
// webhookd route: one verified, deduplicated event as Input. A route in
// the providers file names the workflow type and the task queue; webhookd
// starts the workflow as a child of the event's run, with the id
// {provider}:{event_id}/{route name}. Handlers in other SDK languages
// receive the same JSON object (docs/handlers.md).
package handler

import (
	"encoding/json"
	"time"
)

// Version is the version of Input's shape; a field is only ever added.
const Version = 1

// Input is a route's child workflow input.
type Input struct {
	// Version of this shape.
	Version    int       `json:"version"`
	Provider   string    `json:"provider"`
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	OccurredAt time.Time `json:"occurred_at"`
	ReceivedAt time.Time `json:"received_at"`
	// Data is the envelope's data object, where the provider's format
	// locates it (JSON null when it has none).
	Data json.RawMessage `json:"data"`
	// Payload is the whole envelope as the provider sent it.
	Payload json.RawMessage `json:"payload"`
	// UserID is the product's user, when webhookd resolved one before the
	// route ran (built-in handling of the same event).
	UserID string `json:"user_id,omitempty"`
}
