package main

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/webhookd/webhookd/internal/dispatch"
)

// runIngress serves the HTTP ingress alone. It needs PostgreSQL to record
// events; while Temporal is unreachable it answers 202 and the workers'
// dispatcher starts the runs later.
func runIngress(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var s settings
	groups := fDB | fTemporal | fHTTP | fProviders
	_, b := newFlags("ingress", groups, &s, getenv, stderr)
	if err := b.parse(args, &s); err != nil {
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
	be, err := openBackends(ctx, &s, logger)
	if err != nil {
		return err
	}
	defer be.Close()
	d := &dispatch.Dispatcher{Client: be.c, Providers: providers, Logger: logger}
	h, err := newIngress(&s, providers, be.st, d, be.reg, logger)
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
	_, b := newFlags("worker", groups, &s, getenv, stderr)
	if err := b.parse(args, &s); err != nil {
		return err
	}
	logger := newLogger(stderr, s.LogLevel)
	providers, err := s.providers(false, getenv)
	if err != nil {
		return err
	}
	be, err := openBackends(ctx, &s, logger)
	if err != nil {
		return err
	}
	defer be.Close()
	d := &dispatch.Dispatcher{Client: be.c, Providers: providers, Retry: s.retry(), Logger: logger}
	stop, dests, err := startWorker(ctx, be, &s, d, logger)
	if err != nil {
		return err
	}
	defer stop()
	logger.Info("worker started", "task_queue", "webhooks", "outputs", dests)
	h, err := newIngress(&s, nil, be.st, d, be.reg, logger)
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
