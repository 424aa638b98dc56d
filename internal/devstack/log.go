package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger adapts the Temporal server's logger to slog and keeps only
// warnings and errors: the embedded server's info lines drown a dev console.
type serverLogger struct {
	l *slog.Logger
	// quiet drops warnings: set while the server stops, when its internal
	// workers complain that the frontend they poll is gone.
	quiet *atomic.Bool
}

var _ log.Logger = serverLogger{}

func newServerLogger(l *slog.Logger) serverLogger {
	return serverLogger{l: l.With(slog.String("component", "temporal-server")), quiet: new(atomic.Bool)}
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	if level < slog.LevelError && s.quiet.Load() {
		return
	}
	if !s.l.Enabled(context.Background(), level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(tags))
	for _, t := range tags {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	s.l.LogAttrs(context.Background(), level, msg, attrs...)
}

func (s serverLogger) Debug(string, ...tag.Tag)           {}
func (s serverLogger) Info(string, ...tag.Tag)            {}
func (s serverLogger) Warn(msg string, tags ...tag.Tag)   { s.log(slog.LevelWarn, msg, tags) }
func (s serverLogger) Error(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }
func (s serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(msg)
}
func (s serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	fmt.Fprintln(os.Stderr, "temporal server fatal:", msg)
	os.Exit(1)
}

// quietSDKLogger is the SDK logger for the stack's own clients: warnings up.
func quietSDKLogger(l *slog.Logger) sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(levelHandler{slog.LevelWarn, l.Handler()}))
}

type levelHandler struct {
	min slog.Level
	slog.Handler
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
func (h levelHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return levelHandler{h.min, h.Handler.WithAttrs(a)}
}
func (h levelHandler) WithGroup(n string) slog.Handler {
	return levelHandler{h.min, h.Handler.WithGroup(n)}
}
