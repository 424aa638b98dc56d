// Package alerts tells on-call that an event failed for good: a Slack
// message (slack-go, incoming webhook or bot token) with the event's
// provider, type, id, attempts, error and a link to the run in the Temporal
// Web UI. With no Slack configured the alert is logged at error level.
package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"
	"go.temporal.io/sdk/temporal"
)

// Failure is an event whose processing failed after all retries.
type Failure struct {
	Provider   string
	EventType  string
	EventID    string
	WorkflowID string
	RunID      string
	Attempts   int32
	Error      string
}

// RunURL links to the run's history in the Temporal Web UI.
func RunURL(uiBase, namespace, workflowID, runID string) string {
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", uiBase,
		url.PathEscape(namespace), url.PathEscape(workflowID), url.PathEscape(runID))
}

// RunsURL is the UI's list of the runs of one workflow ID, for an event
// whose run ID is not recorded yet.
func RunsURL(uiBase, namespace, workflowID string) string {
	q := fmt.Sprintf("WorkflowId = %q", workflowID)
	return fmt.Sprintf("%s/namespaces/%s/workflows?query=%s", uiBase, url.PathEscape(namespace), url.QueryEscape(q))
}

// Config chooses the destination.
type Config struct {
	WebhookURL string // SLACK_WEBHOOK_URL
	BotToken   string // SLACK_BOT_TOKEN
	Channel    string // SLACK_CHANNEL
	// APIURL overrides Slack's API base for the bot (tests).
	APIURL string
	// UIURL and Namespace build the link to the run.
	UIURL     string
	Namespace string
	Logger    *slog.Logger
	HTTP      *http.Client
}

// Slack sends alerts to Slack, or to the log when Slack is not configured.
type Slack struct {
	cfg Config
	bot *slack.Client
}

// New returns an alerter for cfg.
func New(cfg Config) *Slack {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Slack{cfg: cfg}
	if cfg.WebhookURL == "" && cfg.BotToken != "" {
		opts := []slack.Option{slack.OptionHTTPClient(cfg.HTTP)}
		if cfg.APIURL != "" {
			opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
		}
		s.bot = slack.New(cfg.BotToken, opts...)
	}
	return s
}

// Destination describes where alerts go, for the start-up banner.
func (s *Slack) Destination() string {
	switch {
	case s.cfg.WebhookURL != "":
		return "slack incoming webhook"
	case s.bot != nil:
		return "slack channel " + s.cfg.Channel
	default:
		return "log (no SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN)"
	}
}

// Blocks builds the Block Kit message for f.
func (s *Slack) Blocks(f Failure) (string, []slack.Block) {
	link := s.link(f)
	text := fmt.Sprintf("webhookd: %s %s event %s failed after %d attempts", f.Provider, f.EventType, f.EventID, f.Attempts)
	if f.RunID == "" {
		text = fmt.Sprintf("webhookd: %s %s event %s failed: its run could not be started", f.Provider, f.EventType, f.EventID)
	}
	field := func(name, value string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, "*"+name+"*\n"+value, false, false)
	}
	errText := f.Error
	if len(errText) > 2500 { // Slack caps a text object at 3000 characters
		errText = errText[:2500] + "…"
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Webhook failed: "+f.Provider+" "+f.EventType, false, false)),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			field("Provider", f.Provider), field("Event type", f.EventType),
			field("Event ID", "`"+f.EventID+"`"), field("Attempts", strconv.Itoa(int(f.Attempts))),
		}, nil),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Error*\n```"+errText+"```", false, false), nil, nil),
		slack.NewActionBlock("run", slack.NewButtonBlockElement("open_run", f.WorkflowID,
			slack.NewTextBlockObject(slack.PlainTextType, "Open run in Temporal UI", false, false)).WithURL(link)),
		slack.NewContextBlock("replay", slack.NewTextBlockObject(slack.MarkdownType,
			"Replay after fixing the cause: `webhookd events replay "+f.Provider+":"+f.EventID+"` · "+link, false, false)),
	}
	return text, blocks
}

// link is the failed run in the UI, or the workflow's runs when no run
// was started.
func (s *Slack) link(f Failure) string {
	if f.RunID == "" {
		return RunsURL(s.cfg.UIURL, s.cfg.Namespace, f.WorkflowID)
	}
	return RunURL(s.cfg.UIURL, s.cfg.Namespace, f.WorkflowID, f.RunID)
}

// Send posts the alert. A Slack rate limit is retried by Temporal after the
// delay Slack asked for.
func (s *Slack) Send(ctx context.Context, f Failure) error {
	text, blocks := s.Blocks(f)
	var err error
	switch {
	case s.cfg.WebhookURL != "":
		err = slack.PostWebhookCustomHTTPContext(ctx, s.cfg.WebhookURL, s.cfg.HTTP,
			&slack.WebhookMessage{Text: text, Blocks: &slack.Blocks{BlockSet: blocks}})
	case s.bot != nil:
		_, _, err = s.bot.PostMessageContext(ctx, s.cfg.Channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	default:
		s.cfg.Logger.Error("webhook failed for good",
			slog.String("provider", f.Provider), slog.String("event_type", f.EventType),
			slog.String("event_id", f.EventID), slog.String("workflow_id", f.WorkflowID),
			slog.String("run_id", f.RunID), slog.Int("attempts", int(f.Attempts)),
			slog.String("error", f.Error),
			slog.String("run_url", s.link(f)))
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return temporal.NewApplicationErrorWithOptions("slack rate limited", "SlackRateLimited",
			temporal.ApplicationErrorOptions{NextRetryDelay: rl.RetryAfter, Cause: err})
	}
	if err != nil {
		return fmt.Errorf("alerts: slack: %w", err)
	}
	return nil
}
