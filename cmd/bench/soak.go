package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"github.com/webhookd/webhookd/examples"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/provider"
)

// soakMinute is one line of the soak's per-minute series.
type soakMinute struct {
	minute              int
	accepted, completed float64 // per second
	ackP50, ackP99      float64 // ms
	rssMiB              float64
	goroutines          float64
	pgBytes, tBytes     int64
}

// soakState is what the producer records while it runs.
type soakState struct {
	mu        sync.Mutex
	acks      []time.Duration // this minute's
	accepted  []string        // workflow IDs of first deliveries
	payments  atomic.Int64    // payment.succeeded events accepted
	refusedOK atomic.Int64    // bad signatures answered 401
	unexpect  atomic.Int64    // answers other than the expected
	minuteAcc atomic.Int64
}

// soak posts a steady open-loop mix shaped like real traffic for
// o.soakFor at o.soakRate events a second (0: 70 % of the e2e rate it
// measures first), prints one line a minute and, at the end, the figures
// and a plot. It fails when an accepted event did not succeed exactly once.
func (b *bench) soak(stdout io.Writer, dir string) error {
	rate := b.o.soakRate
	if rate <= 0 {
		n := 200
		r := measure(0, n, b.o.concurrency, func(i int) error {
			id := fmt.Sprintf("soakcal_%d", i)
			if err := b.post(id, "payment.succeeded"); err != nil {
				return err
			}
			return awaitClose(b.ctx, b.c, lifecycle.WorkflowID("dodo", id))
		})
		rate = 0.7 * r.rate()
		fmt.Fprintf(stdout, "# e2e measured at %.1f/s; soaking at 70 %%: %.1f/s\n", r.rate(), rate)
	}
	fmt.Fprintf(stdout, "# soak: %s at %.1f events/s: 60 %% payments, 10 %% failed payments, 20 %% subscription snapshots (some out of order), 10 %% email events; 5 %% duplicate deliveries, 1 %% bad signatures\n", b.o.soakFor, rate)
	fmt.Fprintln(stdout, "minute  accepted/s  completed/s  ack_p50_ms  ack_p99_ms  rss_mib  goroutines  postgres_mib  temporal_mib")
	resend := b.providers["resend"]
	st := &soakState{}
	pg0, t0 := b.pgBytes(), temporalBytes(dir)
	done0 := b.settled()
	ctx, cancel := context.WithTimeout(b.ctx, b.o.soakFor)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); b.produce(ctx, rate, resend, st) }()
	var series []soakMinute
	tick := time.NewTicker(time.Minute)
	for m := 1; ; m++ {
		select {
		case <-ctx.Done():
		case <-tick.C:
			done := b.settled()
			series = append(series, b.sample(m, st, done-done0, dir))
			done0 = done
			printMinute(stdout, series[len(series)-1])
			continue
		}
		break
	}
	tick.Stop()
	wg.Wait()
	return b.soakReport(stdout, dir, st, series, pg0, t0)
}

// produce posts events at rate until ctx ends, each on its own goroutine
// (at most 512 in flight): an open loop, as providers send.
func (b *bench) produce(ctx context.Context, rate float64, resend *provider.Provider, st *soakState) {
	sem := make(chan struct{}, 512)
	var wg sync.WaitGroup
	defer wg.Wait()
	interval := time.Duration(float64(time.Second) / rate)
	next := time.Now()
	for i := 0; ; i++ {
		next = next.Add(interval)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			b.deliverSoak(i, resend, st)
		}(i)
	}
}

// deliverSoak sends event i of the mix and records its answer.
func (b *bench) deliverSoak(i int, resend *provider.Provider, st *soakState) {
	p, id, typ, data, at := b.dodo, fmt.Sprintf("soak_%d", i), "payment.succeeded", paymentData(b.o.payload, fmt.Sprintf("soak_%d", i)), time.Now()
	bad, dup := i%100 == 99, i%20 == 19 && i > 105
	if dup {
		id = fmt.Sprintf("soak_%d", i-105) // a payment (i-105 ≡ 4 mod 10) delivered again
		data = paymentData(b.o.payload, id)
	}
	switch k := i % 10; {
	case dup:
	case k == 6:
		typ, data = "payment.failed", example("dodo", "payment.failed", "pay_demo_Kp2wLm9", "pay_"+id)
	case k == 7 || k == 8:
		typ = "subscription.active"
		if k == 8 {
			typ, at = "subscription.on_hold", at.Add(-time.Duration(i%3)*time.Hour) // some older than the stored state
		}
		data = example("dodo", typ, "sub_demo_Rm41Qc", fmt.Sprintf("sub_soak_%d", i%50))
	case k == 9:
		p, typ, data = resend, "email.delivered", example("resend", "email.delivered", "56761188-7520-42d8-8898-ff6fc54ce618", "email_"+id)
	}
	t0 := time.Now()
	code, duplicate := b.postSoak(p, id, typ, data, at, bad)
	ack := time.Since(t0)
	switch {
	case bad && code == http.StatusUnauthorized:
		st.refusedOK.Add(1)
	case code == http.StatusOK && duplicate == dup:
		st.mu.Lock()
		st.acks = append(st.acks, ack)
		if !dup {
			st.accepted = append(st.accepted, lifecycle.WorkflowID(p.Name, id))
		}
		st.mu.Unlock()
		st.minuteAcc.Add(1)
		if typ == "payment.succeeded" && !dup {
			st.payments.Add(1)
		}
	default:
		st.unexpect.Add(1)
	}
}

// example is a built-in example's data with one id replaced.
func example(format, typ, from, to string) json.RawMessage {
	d, err := examples.Data(format, typ)
	if err != nil {
		panic(err)
	}
	return json.RawMessage(strings.ReplaceAll(string(d), from, to))
}

// postSoak signs (or, bad, missigns) and posts one event; it returns the
// status and whether the ingress called it a duplicate.
func (b *bench) postSoak(p *provider.Provider, id, typ string, data json.RawMessage, at time.Time, bad bool) (int, bool) {
	h, body, err := p.BuildEnvelope(id, typ, at, data)
	if err != nil {
		return 0, false
	}
	signer, _ := p.Signer()
	if bad {
		signer.Secret = []byte("not-the-secret-of-" + p.Name)
	}
	for k, v := range signer.Sign(id, time.Now(), body) {
		h[k] = v
	}
	req, _ := http.NewRequestWithContext(b.ctx, http.MethodPost, b.d.url+"/webhooks/"+p.Name, bytes.NewReader(body))
	req.Header = h
	resp, err := b.httpc.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var out struct{ Duplicate bool }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Duplicate
}

// settled counts events with a final status.
func (b *bench) settled() int64 {
	var n int64
	_ = b.st.DB().QueryRowContext(b.ctx, `SELECT count(*) FROM webhook_events WHERE status IN ('succeeded', 'failed', 'ignored')`).Scan(&n)
	return n
}

// pgBytes is the size of every database of the dev PostgreSQL (webhookd's
// and Temporal's visibility).
func (b *bench) pgBytes() int64 {
	var n int64
	_ = b.st.DB().QueryRowContext(b.ctx, `SELECT sum(pg_database_size(datname))::bigint FROM pg_database`).Scan(&n)
	return n
}

// temporalBytes is the size of Temporal's SQLite files (database, WAL,
// shared memory).
func temporalBytes(dir string) int64 {
	var n int64
	files, _ := filepath.Glob(filepath.Join(dir, "data", "temporal.sqlite*"))
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func (b *bench) sample(m int, st *soakState, completed int64, dir string) soakMinute {
	st.mu.Lock()
	acks := st.acks
	st.acks = nil
	st.mu.Unlock()
	sort.Slice(acks, func(i, j int) bool { return acks[i] < acks[j] })
	r := &result{latencies: acks}
	rss, _ := readStatus(b.d.cmd.Process.Pid, "VmRSS:")
	return soakMinute{minute: m, accepted: float64(st.minuteAcc.Swap(0)) / 60, completed: float64(completed) / 60,
		ackP50: r.pct(50), ackP99: r.pct(99), rssMiB: float64(rss) / 1024, goroutines: b.goroutines(),
		pgBytes: b.pgBytes(), tBytes: temporalBytes(dir)}
}

// goroutines reads go_goroutines from the dev process's /metrics.
func (b *bench) goroutines() float64 {
	resp, err := b.httpc.Get(b.d.url + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

func printMinute(w io.Writer, m soakMinute) {
	fmt.Fprintf(w, "%6d  %10.1f  %11.1f  %10.1f  %10.1f  %7.0f  %10.0f  %12.1f  %12.1f\n", m.minute, m.accepted, m.completed,
		m.ackP50, m.ackP99, m.rssMiB, m.goroutines, float64(m.pgBytes)/(1<<20), float64(m.tBytes)/(1<<20))
}

// soakReport waits for the accepted events to settle, checks each
// succeeded once and its side effects happened once, and prints the
// figures and the plot.
func (b *bench) soakReport(stdout io.Writer, dir string, st *soakState, series []soakMinute, pg0, t0 int64) error {
	st.mu.Lock()
	ids := st.accepted
	st.mu.Unlock()
	db := b.st.DB()
	for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		var open int64
		if err := db.QueryRowContext(b.ctx, `SELECT count(*) FROM webhook_events WHERE workflow_id = ANY($1)
			AND status NOT IN ('succeeded', 'failed', 'ignored')`, pq.Array(ids)).Scan(&open); err == nil && open == 0 {
			break
		}
	}
	var notSucceeded, payments, sent int64
	_ = db.QueryRowContext(b.ctx, `SELECT count(*) FROM webhook_events WHERE workflow_id = ANY($1) AND status <> 'succeeded'`, pq.Array(ids)).Scan(&notSucceeded)
	_ = db.QueryRowContext(b.ctx, `SELECT count(*) FROM payments WHERE id LIKE 'pay\_soak\_%'`).Scan(&payments)
	_ = db.QueryRowContext(b.ctx, `SELECT count(*) FROM email_logs WHERE status = 'sent'`).Scan(&sent)
	outbox, _ := filepath.Glob(filepath.Join(dir, "data", "outbox", "*.eml"))
	lost := notSucceeded + abs(st.payments.Load()-payments) + max(0, int64(len(outbox))-sent)
	events := float64(len(ids))
	pr := func(name string, v float64) { fmt.Fprintf(stdout, "%s: %.2f\n", name, v) }
	pr("soak_events", events)
	pr("soak_lost_events", float64(lost))
	pr("soak_unexpected_answers", float64(st.unexpect.Load()))
	pr("soak_bad_signatures_refused", float64(st.refusedOK.Load()))
	if len(series) > 0 {
		warm := series[min(len(series)-1, max(1, len(series)/5)):]
		pr("soak_rss_slope_mib_per_hour", slope(warm)*60)
		pr("soak_ack_p99_first_ms", warm[0].ackP99)
		pr("soak_ack_p99_last_ms", series[len(series)-1].ackP99)
		last := series[len(series)-1]
		pr("soak_temporal_bytes_per_event", float64(last.tBytes-t0)/events)
		pr("soak_postgres_bytes_per_event", float64(last.pgBytes-pg0)/events)
		pr("soak_peak_rss_mib", maxRSS(series))
		if path, err := plotSoak(series, b.o.soakPlot); err != nil {
			fmt.Fprintf(stdout, "# plot not written: %v\n", err)
		} else {
			fmt.Fprintf(stdout, "# plot: %s\n", path)
		}
	}
	if lost > 0 || st.unexpect.Load() > 0 {
		return fmt.Errorf("soak: %d events lost or doubled, %d unexpected answers", lost, st.unexpect.Load())
	}
	return nil
}

// slope is the least-squares slope of RSS (MiB) per minute.
func slope(s []soakMinute) float64 {
	if len(s) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, m := range s {
		x, y := float64(m.minute), m.rssMiB
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(s))
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

func maxRSS(s []soakMinute) float64 {
	m := math.Inf(-1)
	for _, x := range s {
		m = math.Max(m, x.rssMiB)
	}
	return m
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
