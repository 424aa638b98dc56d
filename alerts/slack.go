package alerts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/slack-go/slack"
)

// Slack posts to an incoming webhook, or with a bot token to a channel.
type Slack struct {
	WebhookURL string
	bot        *slack.Client
	channel    string
	http       *http.Client
}

// NewSlackWebhook is a sink for a Slack incoming webhook.
func NewSlackWebhook(url string, hc *http.Client) *Slack {
	return &Slack{WebhookURL: url, http: hc}
}

// NewSlackBot is a sink for a bot token (chat:write) and a channel;
// apiURL, when set, replaces Slack's API address (tests).
func NewSlackBot(token, channel, apiURL string, hc *http.Client) *Slack {
	opts := []slack.Option{slack.OptionHTTPClient(hc)}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	return &Slack{bot: slack.New(token, opts...), channel: channel, http: hc}
}

// Name implements Sink.
func (s *Slack) Name() string { return "slack" }

// Blocks is the Block Kit message of a.
func (s *Slack) Blocks(a Alert) []slack.Block {
	field := func(name, value string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, "*"+name+"*\n"+slackText(value), false, false)
	}
	var fields []*slack.TextBlockObject
	for _, f := range a.Fields {
		fields = append(fields, field(f.Name, truncate(f.Value, 1900)))
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(a.Title, 150), false, false)),
		slack.NewSectionBlock(nil, fields, nil),
		// Slack caps a text object at 3000 characters.
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Error*\n```"+slackText(Plain(truncate(a.Error, 2500)))+"```", false, false), nil, nil),
	}
	if a.Link != "" {
		blocks = append(blocks, slack.NewActionBlock("run", slack.NewButtonBlockElement("open_run", "run",
			slack.NewTextBlockObject(slack.PlainTextType, a.LinkText, false, false)).WithURL(a.Link)))
	}
	blocks = append(blocks, slack.NewContextBlock("footer", slack.NewTextBlockObject(slack.MarkdownType,
		slackText(truncate(a.Footer+" · "+a.Link, 2900)), false, false)))
	return blocks
}

// Post implements Sink.
func (s *Slack) Post(ctx context.Context, a Alert) error {
	blocks := s.Blocks(a)
	var err error
	if s.WebhookURL != "" {
		err = slack.PostWebhookCustomHTTPContext(ctx, s.WebhookURL, s.http,
			&slack.WebhookMessage{Text: slackText(a.Summary), Blocks: &slack.Blocks{BlockSet: blocks}})
	} else {
		_, _, err = s.bot.PostMessageContext(ctx, s.channel, slack.MsgOptionText(slackText(a.Summary), false), slack.MsgOptionBlocks(blocks...))
	}
	return slackError(err)
}

// slackError maps slack-go's errors to RateLimited and Refused.
func slackError(err error) error {
	var rl *slack.RateLimitedError
	var status slack.StatusCodeError
	switch {
	case errors.As(err, &rl):
		return &RateLimited{Sink: "slack", Delay: rl.RetryAfter}
	case errors.As(err, &status) && status.Code >= 400 && status.Code < 500:
		return &Refused{Sink: "slack", Status: status.Code, Body: status.Status}
	case err != nil:
		return fmt.Errorf("alerts: slack: %w", err)
	}
	return nil
}

// Threaded is a sink whose messages can be updated in place and replied
// to in a thread (Slack with a bot token): an incident's first message then
// carries its current counts, and its follow-ups go in the thread.
type Threaded interface {
	Sink
	// PostRef posts a and returns a reference to the message.
	PostRef(ctx context.Context, a Alert) (string, error)
	Update(ctx context.Context, ref string, a Alert) error
	Reply(ctx context.Context, ref string, a Alert) error
}

// Threaded returns the sink as Threaded when it has a bot token.
func (s *Slack) Threaded() (Threaded, bool) {
	if s.bot == nil {
		return nil, false
	}
	return slackThreads{s}, true
}

type slackThreads struct{ *Slack }

func (t slackThreads) PostRef(ctx context.Context, a Alert) (string, error) {
	channel, ts, err := t.bot.PostMessageContext(ctx, t.channel, slack.MsgOptionText(slackText(a.Summary), false), slack.MsgOptionBlocks(t.Blocks(a)...))
	if err != nil {
		return "", slackError(err)
	}
	return channel + "/" + ts, nil
}

func (t slackThreads) Update(ctx context.Context, ref string, a Alert) error {
	channel, ts, _ := strings.Cut(ref, "/")
	_, _, _, err := t.bot.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(slackText(a.Summary), false), slack.MsgOptionBlocks(t.Blocks(a)...))
	return slackError(err)
}

func (t slackThreads) Reply(ctx context.Context, ref string, a Alert) error {
	channel, ts, _ := strings.Cut(ref, "/")
	_, _, err := t.bot.PostMessageContext(ctx, channel, slack.MsgOptionText(slackText(a.Summary), false),
		slack.MsgOptionBlocks(t.Blocks(a)...), slack.MsgOptionTS(ts))
	return slackError(err)
}
