// Package httpserve serves webhookd's HTTP ports: the listener with its
// connection cap, the server's timeouts and graceful shutdown, and the
// worker's operations port (health, readiness, metrics, codec server).
package httpserve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"
)

const (
	// ReadHeaderTimeout bounds a request's headers.
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds a whole request, body included.
	ReadTimeout = 30 * time.Second
	// ShutdownTimeout is how long requests in flight may finish at stop.
	ShutdownTimeout = 5 * time.Second
)

// Listen binds addr, accepting at most maxConns connections at once (0:
// no cap). flag names the setting in errors.
func Listen(addr string, maxConns int, flag string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, addr, err)
	}
	if maxConns > 0 {
		l = netutil.LimitListener(l, maxConns)
	}
	return l, nil
}

// Serve serves h on l until ctx ends, then shuts down gracefully. ready, if
// set, is called with the bound address once the server accepts.
func Serve(ctx context.Context, l net.Listener, h http.Handler, logger *slog.Logger, ready func(net.Addr)) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadTimeout,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	if ready != nil {
		ready(l.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// Ops is the worker's HTTP port: /healthz, /readyz (ready answers the
// status and the checks), /metrics and, when codec is set, the codec
// server under /codec/; nothing else.
func Ops(ready func(context.Context) (int, map[string]string), reg *prometheus.Registry, codec http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status, checks := ready(ctx)
		WriteJSON(w, status, checks)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if codec != nil {
		mux.Handle("/codec/", codec)
	}
	return mux
}

// WriteJSON writes v as a JSON answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Loopback reports whether a listener bound to addr is reached only from
// this host: a loopback IP or localhost (":8080" and "0.0.0.0:8080" are
// reached from anywhere).
func Loopback(addr net.Addr) bool {
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LocalHost is the host:port a local client dials for a listener at addr:
// a wildcard address becomes 127.0.0.1.
func LocalHost(addr net.Addr) string {
	host := addr.String()
	if strings.HasPrefix(host, "[::]:") || strings.HasPrefix(host, "0.0.0.0:") {
		host = "127.0.0.1:" + host[strings.LastIndex(host, ":")+1:]
	}
	return host
}

// Check GETs url and writes its answer to w; anything but 200 is an
// error (container healthchecks of images without curl).
func Check(ctx context.Context, url string, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(w, "%s %s\n", resp.Status, body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", url, resp.Status)
	}
	return nil
}
