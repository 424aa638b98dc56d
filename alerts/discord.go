package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Discord posts to a Discord webhook (DISCORD_WEBHOOK_URL) as an embed:
// the title linking to the run, the fields, the error and the hint.
type Discord struct {
	URL  string
	HTTP *http.Client
}

// Name implements Sink.
func (d *Discord) Name() string { return "discord" }

// Discord's limits on an embed (its total is 6000 characters).
const (
	discordTitle       = 256
	discordDescription = 4096
	discordFieldValue  = 1024
	discordFooterText  = 2048
)

type discordEmbed struct {
	Title       string         `json:"title"`
	URL         string         `json:"url,omitempty"`
	Description string         `json:"description"`
	Color       int            `json:"color"`
	Fields      []discordField `json:"fields"`
	Footer      *discordFooter `json:"footer,omitempty"`
}

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

type discordFooter struct {
	Text string `json:"text"`
}

// Payload is the JSON body posted for a.
func (d *Discord) Payload(a Alert) []byte {
	e := discordEmbed{Title: truncate(a.Title, discordTitle), URL: a.Link, Color: 0xD93F0B,
		Description: "```" + Plain(truncate(a.Error, discordDescription-200)) + "```"}
	if a.Link != "" {
		e.Description += "\n[" + discordText(a.LinkText) + "](" + a.Link + ")"
	}
	for _, f := range a.Fields {
		e.Fields = append(e.Fields, discordField{Name: f.Name, Value: truncate(discordText(f.Value), discordFieldValue), Inline: true})
	}
	if a.Footer != "" {
		// Footers are plain text in Discord: nothing to escape.
		e.Footer = &discordFooter{Text: truncate(a.Footer, discordFooterText)}
	}
	b, _ := json.Marshal(map[string]any{"content": truncate(discordText(a.Summary), 2000), "embeds": []discordEmbed{e},
		"allowed_mentions": map[string]any{"parse": []string{}}})
	return b
}

// Post implements Sink. A 429 is a RateLimited with Discord's Retry-After
// (or retry_after in the body); another 4xx is Refused.
func (d *Discord) Post(ctx context.Context, a Alert) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload(a)))
	if err != nil {
		return fmt.Errorf("alerts: discord: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("alerts: discord: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return &RateLimited{Sink: "discord", Delay: discordRetryAfter(resp.Header, body)}
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return &Refused{Sink: "discord", Status: resp.StatusCode, Body: truncate(string(body), 300)}
	case resp.StatusCode >= 300:
		return fmt.Errorf("alerts: discord: answered %s", resp.Status)
	}
	return nil
}

// discordRetryAfter reads the delay of a 429: the Retry-After header
// (seconds), else retry_after in the JSON body (seconds, fractional).
func discordRetryAfter(h http.Header, body []byte) time.Duration {
	if s, err := strconv.ParseFloat(h.Get("Retry-After"), 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	var b struct {
		RetryAfter float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &b) == nil && b.RetryAfter > 0 {
		return time.Duration(b.RetryAfter * float64(time.Second))
	}
	return 5 * time.Second
}
