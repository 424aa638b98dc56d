package alerts

import "strings"

// An alert's text is plain text with inline code spans: Code makes the
// spans, and every other text from event data goes through Plain, so that
// a backtick only ever delimits a span. Each sink then escapes for its
// markup (slackText, discordText); an event type, id or error cannot
// format, link or mention anything.

// Code is s as an inline code span; its own backticks become ˋ.
func Code(s string) string { return "`" + Plain(s) + "`" }

// Plain is s with its backticks made ˋ, for text outside code spans.
func Plain(s string) string { return strings.ReplaceAll(s, "`", "ˋ") }

// slackText escapes Slack's mrkdwn control characters (&, <, >): no link,
// mention (<!channel>, <@U…>) or date can be spelled by event data.
var slackText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// discordEscaper escapes Discord's markdown outside code spans.
var discordEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "|", `\|`, ">", `\>`,
	"[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "#", `\#`, "-", `\-`, "<", `\<`, "@", "@\u200b")

// discordText escapes Discord's markdown in s outside its code spans
// (inside one nothing is formatted, and a backslash would show).
func discordText(s string) string {
	parts := strings.Split(s, "`")
	for i := 0; i < len(parts); i += 2 {
		parts[i] = discordEscaper.Replace(parts[i])
	}
	return strings.Join(parts, "`")
}

// clean makes a failure's text from event data plain.
func (f Failure) clean() Failure {
	f.EventType, f.EventID, f.Error, f.Hint = Plain(f.EventType), Plain(f.EventID), Plain(f.Error), Plain(f.Hint)
	return f
}
