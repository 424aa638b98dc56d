package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/workflows"
)

// An open-loop phase posts at a fixed rate, the arrivals a Poisson process
// (exponential gaps, a fixed seed so that two runs post the same
// schedule), whatever the answers take: unlike the closed loops, a slow
// answer does not slow the next arrival, so the latencies are those a
// provider sees at that rate. Each latency counts from the arrival's
// scheduled time (a late send is the system's delay too).
type openPhase struct {
	name string
	rate float64
	for_ time.Duration
	// e2e: payments, and their POST-to-succeeded latency; otherwise the
	// door only (bodies of a payment's shape, of an ignored type, so the
	// runs behind the door stay cheap).
	e2e bool
}

// openPhases are the open-loop phases: 25/s and 50/s end to end, 200/s at
// the door.
var openPhases = []openPhase{
	{"open25", 25, 20 * time.Second, true},
	{"open50", 50, 20 * time.Second, true},
	{"open200", 200, 10 * time.Second, false},
}

// openResult is one open-loop phase and its raw-start twin.
type openResult struct {
	phase      openPhase
	ack, raw   *result
	e2e        []time.Duration
	e2eMissing int
}

// arrivals is the schedule of n Poisson arrivals at rate per second.
func arrivals(rate float64, n int, seed uint64) []time.Duration {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]time.Duration, n)
	var t float64
	for i := range out {
		t += r.ExpFloat64() / rate
		out[i] = time.Duration(t * float64(time.Second))
	}
	return out
}

// openLoop calls fn(i) at each arrival, each on its own goroutine, and
// records the latency from the arrival's scheduled time.
func openLoop(schedule []time.Duration, fn func(i int) error) (*result, time.Time) {
	r := &result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i, at := range schedule {
		time.Sleep(time.Until(start.Add(at)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			due := start.Add(at)
			if err := fn(i); err != nil {
				r.errors.Add(1)
				return
			}
			l := time.Since(due)
			mu.Lock()
			r.latencies = append(r.latencies, l)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.took = time.Since(start)
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	return r, start
}

// open runs the open-loop phases that o.phases names: the ingress at the
// rate, then raw Temporal starts of the same workflow and input at the
// same rate and schedule, each on an idle server (the runs of one are
// drained before the next).
func (b *bench) open() ([]openResult, error) {
	var out []openResult
	for pi, p := range openPhases {
		if !b.o.phases[p.name] {
			continue
		}
		n := max(int(p.rate*p.for_.Seconds()*b.o.openScale), 1)
		schedule := arrivals(p.rate, n, uint64(pi+1))
		eventType := "bench.ignored"
		if p.e2e {
			eventType = "payment.succeeded"
		}
		id := func(i int) string { return fmt.Sprintf("%s_%d", p.name, i) }
		cpu := busyCPU()
		ack, start := openLoop(schedule, func(i int) error { return b.post(id(i), eventType) })
		b.drain(0, n, func(i int) string { return lifecycle.WorkflowID("dodo", id(i)) })
		ack.cpu = busyCPU() - cpu
		res := openResult{phase: p, ack: ack}
		if p.e2e {
			// POST to the event's status written: the run has recorded the
			// payment and written the email before it marks the event.
			rows, err := b.st.DB().QueryContext(b.ctx, `SELECT event_id, processed_at FROM webhook_events
				WHERE provider = 'dodo' AND event_id LIKE $1 AND status = $2`, p.name+`\_%`, domain.StatusSucceeded)
			if err != nil {
				return nil, err
			}
			done := map[string]time.Time{}
			for rows.Next() {
				var eid string
				var at time.Time
				if err := rows.Scan(&eid, &at); err != nil {
					rows.Close()
					return nil, err
				}
				done[eid] = at
			}
			rows.Close()
			for i, at := range schedule {
				if t, ok := done[id(i)]; ok {
					res.e2e = append(res.e2e, t.Sub(start.Add(at)))
				} else {
					res.e2eMissing++
				}
			}
			sort.Slice(res.e2e, func(i, j int) bool { return res.e2e[i] < res.e2e[j] })
		}
		// The same starts without the ingress: recorded rows, as the raw
		// phase has, started by the bench's own client at the same times.
		data := paymentData(b.o.payload, "bench")
		rawID := func(i int) string { return fmt.Sprintf("%s_raw_%d", p.name, i) }
		if err := b.recordRaw(n, rawID, data); err != nil {
			return nil, err
		}
		time.Sleep(settle)
		res.raw, _ = openLoop(schedule, func(i int) error {
			in := workflows.ProcessWebhookInput{Provider: "bench", EventID: rawID(i), EventType: "bench.ignored", OccurredAt: time.Now().UTC(), Data: data}
			_, err := b.cEnc.ExecuteWorkflow(b.ctx, workflows.StartOptions(in), workflows.ProcessWebhook, in)
			return err
		})
		b.drain(0, n, func(i int) string { return lifecycle.WorkflowID("bench", rawID(i)) })
		time.Sleep(settle)
		out = append(out, res)
	}
	return out, nil
}

// reportOpen prints the open-loop figures: open_<rate>_ack_p50_ms and so
// on, the e2e ones for the end-to-end phases, and the ratio of the ack p95
// to a raw start's at the same rate.
func reportOpen(stdout io.Writer, rs []openResult) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	pctOf := func(ds []time.Duration, p float64) float64 {
		if len(ds) == 0 {
			return 0
		}
		return ms(ds[int(float64(len(ds)-1)*p/100)])
	}
	for _, r := range rs {
		pre := fmt.Sprintf("open_%.0f_", r.phase.rate)
		pr := func(name string, v float64) { fmt.Fprintf(stdout, "%s%s: %.2f\n", pre, name, v) }
		pr("events", float64(len(r.ack.latencies)+int(r.ack.errors.Load())))
		pr("errors", float64(r.ack.errors.Load()))
		pr("achieved_per_s", r.ack.rate())
		for _, p := range []float64{50, 95, 99} {
			pr(fmt.Sprintf("ack_p%.0f_ms", p), r.ack.pct(p))
		}
		if r.phase.e2e {
			for _, p := range []float64{50, 95, 99} {
				pr(fmt.Sprintf("e2e_p%.0f_ms", p), pctOf(r.e2e, p))
			}
			pr("e2e_not_succeeded", float64(r.e2eMissing))
		}
		pr("cpu_ms_per_event", r.ack.cpuPerCall())
		for _, p := range []float64{50, 95, 99} {
			pr(fmt.Sprintf("raw_ack_p%.0f_ms", p), r.raw.pct(p))
		}
		pr("raw_errors", float64(r.raw.errors.Load()))
		pr("ack_p95_vs_raw", div(r.ack.pct(95), r.raw.pct(95)))
	}
}
