// Package smtptest runs a real SMTP server (emersion/go-smtp) on loopback
// for tests: it keeps every message it accepts and can be told to refuse.
package smtptest

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Server is a running SMTP listener.
type Server struct {
	Addr string

	mu       sync.Mutex
	messages []Message
	down     bool
	failNext int
}

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Start listens on a free loopback port until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Addr: l.Addr().String()}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	go srv.Serve(l)
	tb.Cleanup(func() { srv.Close() })
	return s
}

// URL is the SMTP_URL of the server (plain text, no TLS).
func (s *Server) URL() string { return "smtp://" + s.Addr + "?tls=none" }

// SetDown makes the server refuse every message (451) until set back.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// FailNext makes the next n messages fail with a temporary error.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// Messages returns a copy of the accepted messages.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

type session struct {
	s    *Server
	from string
	to   []string
}

var errUnavailable = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}
func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.down {
		return errUnavailable
	}
	if x.s.failNext > 0 {
		x.s.failNext--
		return errUnavailable
	}
	if len(x.to) == 0 {
		return errors.New("no recipients")
	}
	x.s.messages = append(x.s.messages, Message{From: x.from, To: x.to, Data: b})
	return nil
}
