// Package email renders webhookd's embedded templates and delivers messages
// over SMTP (wneessen/go-mail) or, with no SMTP server configured, into an
// outbox directory as .eml files.
package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Template names.
const (
	PaymentConfirmation  = "payment_confirmation"
	PaymentFailed        = "payment_failed"
	SubscriptionCanceled = "subscription_canceled"
	PaymentReminder      = "payment_reminder"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// ErrUnknownTemplate is returned by Render for a name with no template.
var ErrUnknownTemplate = errors.New("unknown email template")

// Sender sends one rendered message and returns the id to store for it:
// the id the email provider's webhooks will name it by. SMTP, Resend and
// Outbox are Senders.
type Sender interface {
	Send(ctx context.Context, m Message) (string, error)
}

// Message is a rendered email.
type Message struct {
	From, To  string
	Subject   string
	Text      string
	HTML      string
	MessageID string // without angle brackets
}

// Render fills the named template with data.
func Render(name string, data map[string]string) (Message, error) {
	path := "templates/" + name + ".tmpl"
	src, err := templateFS.ReadFile(path)
	if err != nil {
		return Message{}, fmt.Errorf("email: %w: %q", ErrUnknownTemplate, name)
	}
	txt, err := texttemplate.New(name).Option("missingkey=zero").Parse(string(src))
	if err != nil {
		return Message{}, fmt.Errorf("email: parse %s: %w", name, err)
	}
	html, err := htmltemplate.New(name).Option("missingkey=zero").Parse(string(src))
	if err != nil {
		return Message{}, fmt.Errorf("email: parse %s: %w", name, err)
	}
	var m Message
	for _, part := range []struct {
		name string
		dst  *string
		exec func(*bytes.Buffer) error
	}{
		{"subject", &m.Subject, func(b *bytes.Buffer) error { return txt.ExecuteTemplate(b, "subject", data) }},
		{"text", &m.Text, func(b *bytes.Buffer) error { return txt.ExecuteTemplate(b, "text", data) }},
		{"html", &m.HTML, func(b *bytes.Buffer) error { return html.ExecuteTemplate(b, "html", data) }},
	} {
		var b bytes.Buffer
		if err := part.exec(&b); err != nil {
			return Message{}, fmt.Errorf("email: render %s %s: %w", name, part.name, err)
		}
		*part.dst = strings.TrimSpace(b.String())
	}
	return m, nil
}

// MessageID derives a stable Message-ID from an idempotency key, so a resend
// of the same email carries the same ID and receivers can drop the copy.
func MessageID(key, from string) string {
	sum := sha256.Sum256([]byte(key))
	domain := "webhookd.local"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = strings.Trim(from[i+1:], "> ")
	}
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

func (m Message) build() (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("email: from %q: %w", m.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("email: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// SMTP sends through an SMTP server.
type SMTP struct {
	client *mail.Client
}

// NewSMTP configures a sender from a URL:
// smtp://[user:pass@]host:port (STARTTLS when offered), smtps://… (implicit
// TLS), or smtp://…?tls=none for a local catcher such as Mailpit.
func NewSMTP(rawURL string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("not a URL of the form smtp://host:port")
	}
	opts := []mail.Option{mail.WithTimeout(10 * time.Second)}
	port := 25
	switch u.Scheme {
	case "smtp":
		policy := mail.TLSOpportunistic
		if u.Query().Get("tls") == "none" {
			policy = mail.NoTLS
		} else if u.Query().Get("tls") == "required" {
			policy = mail.TLSMandatory
		}
		// WithTLSPolicy, not WithTLSPortPolicy: the latter also dials port 25
		// when the configured port refuses, and the error then names 25.
		opts = append(opts, mail.WithTLSPolicy(policy))
	case "smtps":
		port = 465
		opts = append(opts, mail.WithSSL())
	default:
		return nil, fmt.Errorf("scheme %q: want smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("bad port %q", p)
		}
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	c, err := mail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return &SMTP{client: c}, nil
}

// Send delivers m; the id stored for it is its Message-ID.
func (s *SMTP) Send(ctx context.Context, m Message) (string, error) {
	msg, err := m.build()
	if err != nil {
		return "", err
	}
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return "", fmt.Errorf("email: smtp send: %w", err)
	}
	return m.MessageID, nil
}

// Outbox writes each message as an .eml file into a directory.
type Outbox struct {
	Dir string
}

// Send writes m to Dir/<message-id>.eml, replacing an earlier copy. The
// directory and the files are private to the user (customers' addresses).
func (o Outbox) Send(_ context.Context, m Message) (string, error) {
	msg, err := m.build()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return "", fmt.Errorf("email: outbox: %w", err)
	}
	name := strings.ReplaceAll(m.MessageID, "@", "_at_") + ".eml"
	// Rendered in memory and written at once (go-mail's WriteToFile
	// writes line by line).
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("email: outbox write: %w", err)
	}
	tmp := filepath.Join(o.Dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("email: outbox write: %w", err)
	}
	// A leftover of a crash keeps its mode through WriteFile.
	if err := os.Chmod(tmp, 0o600); err != nil {
		return "", fmt.Errorf("email: outbox: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(o.Dir, name)); err != nil {
		return "", fmt.Errorf("email: outbox: %w", err)
	}
	return m.MessageID, nil
}
