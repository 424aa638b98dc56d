package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/webhookd/webhookd/internal/dispatch"
)

// runIngress serves the HTTP ingress alone. It needs PostgreSQL to record
// events; while Temporal is unreachable it answers 202 and the workers'
// dispatcher starts the runs later.
func runIngress(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var s settings
	groups := fDB | fTemporal | fHTTP | fProviders
	fs, b := newFlags("ingress", groups, &s, getenv, stderr)
	_ = fs
	if err := b.parse(args, &s, groups); err != nil {
		return err
	}
	logger := newLogger(stderr, s.LogLevel)
	providers, err := s.providers(false, getenv)
	if err != nil {
		return err
	}
	if len(providers) == 0 {
		return fmt.Errorf("--config / WEBHOOKD_CONFIG: no providers configured")
	}
	st, err := openStore(ctx, &s)
	if err != nil {
		return err
	}
	defer st.Close()
	reg := newRegistry()
	c, err := dialTemporal(&s, logger, reg)
	if err != nil {
		return err
	}
	defer c.Close()
	d := &dispatch.Dispatcher{Client: c, Providers: providers, Logger: logger}
	h, err := newIngress(&s, providers, st, d, reg, logger)
	if err != nil {
		return err
	}
	return serveHTTP(ctx, s.HTTPAddr, h, logger, func(addr net.Addr) {
		logger.Info("ingress listening", "addr", addr.String(), "providers", len(providers))
	})
}

// runWorker runs the Temporal worker and the dispatcher alone. It serves
// /healthz, /readyz and /metrics on --http.
func runWorker(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var s settings
	groups := fDB | fTemporal | fWorker | fProviders | fHTTP
	fs, b := newFlags("worker", groups, &s, getenv, stderr)
	if f := fs.Lookup("http"); f != nil {
		f.DefValue = ":9090"
		_ = f.Value.Set(firstNonEmpty(getenv("WEBHOOKD_HTTP"), ":9090"))
	}
	if err := b.parse(args, &s, groups); err != nil {
		return err
	}
	logger := newLogger(stderr, s.LogLevel)
	providers, err := s.providers(false, getenv)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, &s)
	if err != nil {
		return err
	}
	defer st.Close()
	reg := newRegistry()
	c, err := dialTemporal(&s, logger, reg)
	if err != nil {
		return err
	}
	defer c.Close()
	w, dests, err := newWorker(c, st, &s, logger)
	if err != nil {
		return err
	}
	if err := waitTemporal(ctx, c, logger); err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer w.Stop()
	d := &dispatch.Dispatcher{Client: c, Providers: providers, Retry: s.retry(), Logger: logger}
	go d.Run(ctx, st, 2*time.Second, s.DispatchAfter)
	logger.Info("worker started", "task_queue", "webhooks", "outputs", dests)
	h, err := newIngress(&s, nil, st, d, reg, logger)
	if err != nil {
		return err
	}
	return serveHTTP(ctx, s.HTTPAddr, h, logger, nil)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
