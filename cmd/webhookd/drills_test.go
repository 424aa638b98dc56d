//go:build drills

// Fault drills: `make drills` (go test -tags drills -run Drill -v ./cmd/webhookd).
// Each drill prints its figures as `drill_name metric: value` lines.
package main

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/webhookd/webhookd/ingress"
	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email/smtptest"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/postgres"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/migrations"
	"github.com/webhookd/webhookd/workflows"
)

// harness is a stack whose parts a drill can stop and start: PostgreSQL,
// Temporal, the worker (in process or as a real `webhookd worker`).
type harness struct {
	t        *testing.T
	dir      string
	pg       *postgres.Cluster
	pgPort   int
	dbURL    string
	temporal *devstack.Temporal
	topts    devstack.TemporalOptions
	st       *store.Store
	c        client.Client
	smtp     *smtptest.Server
	slack    *slackStandIn
	settings config.Settings
	ingress  *httptest.Server
	app      *app
	dodo     *provider.Provider
	logger   *slog.Logger
	stopDisp context.CancelFunc
}

func newHarness(t *testing.T, attempts int) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{t: t, dir: pgtest.TempDir(t), smtp: smtptest.Start(t), slack: newSlack(t),
		logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	h.pgPort = freePort(t)
	h.startPostgres()
	t.Cleanup(func() { h.pg.Close() })
	h.dbURL = h.pg.DatabaseURL()
	var err error
	if h.st, err = store.Open(ctx, h.dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.st.Close() })
	if err := migrations.Up(ctx, h.st.DB()); err != nil {
		t.Fatal(err)
	}
	if err := h.st.UpsertUser(ctx, demoUserID, demoUserEmail); err != nil {
		t.Fatal(err)
	}
	h.topts = devstack.TemporalOptions{DatabaseFile: filepath.Join(h.dir, "temporal.sqlite"), Port: freePort(t), UIPort: -1,
		SearchAttributes: workflows.SearchAttributeNames()}
	h.startTemporal()
	t.Cleanup(func() { h.temporal.Stop() })
	h.settings = config.Settings{TemporalAddress: h.temporal.Address(), TemporalNamespace: "default", TemporalUIURL: "http://127.0.0.1:8233",
		SMTPURL: h.smtp.URL(), SlackWebhookURL: h.slack.URL, EmailFrom: "drills <d@example.com>",
		AlertSummaryInterval: 2 * time.Second, IncidentQuiet: 30 * time.Minute,
		RetryAttempts: attempts, RetryInitial: 100 * time.Millisecond, BodyLimit: 1 << 20, DataDir: h.dir}
	if h.c, err = dialTemporal(&h.settings, h.logger, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.c.Close)
	providers, err := provider.LoadProviders("", true, func(string) string { return "" }, map[string]string{"dodo": "whsec_ZHJpbGxzLXNlY3JldA=="})
	if err != nil {
		t.Fatal(err)
	}
	h.dodo = providers["dodo"]
	h.app = newApp(&h.settings, h.logger, h.st, h.c, newRegistry())
	handler, err := h.app.ingressHandler(providers)
	if err != nil {
		t.Fatal(err)
	}
	h.ingress = httptest.NewServer(handler)
	t.Cleanup(h.ingress.Close)
	dctx, cancel := context.WithCancel(ctx)
	h.stopDisp = cancel
	t.Cleanup(cancel)
	go h.app.events.RunSweeps(dctx, 500*time.Millisecond, lifecycle.Ages{Received: 2 * time.Second, Runless: 5 * time.Second})
	return h
}

func (h *harness) startPostgres() {
	var err error
	h.pg, err = postgres.Start(context.Background(), postgres.Options{Dir: filepath.Join(h.dir, "postgres"), Port: h.pgPort})
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) startTemporal() {
	var err error
	if h.temporal, err = devstack.StartTemporal(context.Background(), h.topts); err != nil {
		h.t.Fatal(err)
	}
}

// inProcessWorker starts a worker in this process; the returned func stops it.
func (h *harness) inProcessWorker() func() {
	w, _, _, err := h.app.newWorker()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		h.t.Fatal(err)
	}
	return w.Stop
}

// binary runs the built webhookd with args and extra environment.
func (h *harness) binary(args, env []string) *exec.Cmd {
	bin := os.Getenv("WEBHOOKD_BIN")
	if bin == "" {
		bin = "../../bin/webhookd"
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("start %s (run `make build` first): %v", bin, err)
	}
	return cmd
}

// processWorker runs `webhookd worker` from the built binary.
func (h *harness) processWorker() *exec.Cmd {
	return h.binary([]string{"worker", "--http", "127.0.0.1:0", "--log-level", "error"},
		[]string{"DATABASE_URL=" + h.dbURL, "TEMPORAL_ADDRESS=" + h.temporal.Address(),
			"SMTP_URL=" + h.smtp.URL(), "SLACK_WEBHOOK_URL=" + h.slack.URL, "WEBHOOKD_RETRY_INITIAL_INTERVAL=100ms"})
}

// deliver posts one payment.succeeded event as a provider would: it retries
// on 503 and connection errors until a 2xx, and reports the statuses seen.
func (h *harness) deliver(id string, codes *sync.Map) error {
	return h.deliverTo(h.ingress.URL, id, codes)
}

func (h *harness) deliverTo(base, id string, codes *sync.Map) error {
	data := fmt.Sprintf(`{"userId":%q,"paymentId":"pay_%s","amount":1234,"currency":"usd"}`, demoUserID, id)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		hdr, body, _ := h.dodo.BuildEnvelope(id, "payment.succeeded", time.Now(), []byte(data))
		signer, _ := h.dodo.Signer()
		for k, v := range signer.Sign(id, time.Now(), body) {
			hdr[k] = v
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/dodo", bytes.NewReader(body))
		req.Header = hdr
		resp, err := http.DefaultClient.Do(req)
		code := 0
		if err == nil {
			code = resp.StatusCode
			if code == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
				h.t.Errorf("503 without Retry-After")
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if codes != nil {
			n, _ := codes.LoadOrStore(code, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
		}
		if code >= 200 && code < 300 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("event %s: no 2xx within 2 minutes (last %d, %v)", id, code, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// load delivers n events on 16 goroutines; during runs while they flow.
func (h *harness) load(prefix string, n int, codes *sync.Map, during func(), paced bool) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	// With an outage, the deliveries are paced to span it (and a few
	// seconds around it) whatever the machine's speed: a fast machine
	// would otherwise deliver them all before the outage begins.
	const workers = 16
	var pace time.Duration
	if paced {
		pace = workers * (outageSeconds + 4) * time.Second / time.Duration(n)
	}
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if err := h.deliver(fmt.Sprintf("%s_%d", prefix, i), codes); err != nil {
					h.t.Error(err)
				}
				time.Sleep(pace)
			}
		}()
	}
	if during != nil {
		during()
	}
	wg.Wait()
	return time.Since(start)
}

// waitAll waits until n events of the prefix reached a final status (or,
// with want, one of those statuses).
func (h *harness) waitAll(prefix string, n int, limit time.Duration, want ...domain.Status) map[string]int {
	if len(want) == 0 {
		want = []domain.Status{domain.StatusSucceeded, domain.StatusFailed}
	}
	deadline := time.Now().Add(limit)
	for {
		evs, err := h.st.ListEvents(context.Background(), store.EventFilter{Since: time.Now().Add(-time.Hour), Limit: 100000})
		counts := map[string]int{}
		for _, ev := range evs {
			if strings.HasPrefix(ev.EventID, prefix+"_") {
				counts[string(ev.Status)]++
			}
		}
		done := 0
		for _, w := range want {
			done += counts[string(w)]
		}
		if err == nil && done >= n {
			return counts
		}
		if time.Now().After(deadline) {
			h.t.Errorf("%s: not all final within %s: %v", prefix, limit, counts)
			return counts
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// emails counts accepted messages and distinct Message-IDs for the prefix.
func (h *harness) emails(prefix string) (total, distinct int) {
	ids := map[string]bool{}
	for _, m := range h.smtp.Messages() {
		if !bytes.Contains(m.Data, []byte("pay_"+prefix+"_")) {
			continue
		}
		total++
		for _, line := range strings.Split(string(m.Data), "\n") {
			if strings.HasPrefix(strings.ToLower(line), "message-id:") {
				ids[strings.TrimSpace(line[len("message-id:"):])] = true
			}
		}
	}
	return total, len(ids)
}

func figure(drill, name string, v any) { fmt.Printf("%s %s: %v\n", drill, name, v) }

func codesString(codes *sync.Map) string {
	var parts []string
	codes.Range(func(k, v any) bool {
		parts = append(parts, fmt.Sprintf("%v=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	return strings.Join(parts, " ")
}

func TestDrillDuplicateStorm(t *testing.T) {
	h := newHarness(t, 5)
	defer h.inProcessWorker()()
	var codes sync.Map
	start := time.Now()
	var wg sync.WaitGroup
	for e := 0; e < 20; e++ {
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := h.deliver(fmt.Sprintf("storm_%d", e), &codes); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	counts := h.waitAll("storm", 20, 2*time.Minute)
	total, distinct := h.emails("storm")
	var payments int
	ps, _ := h.st.Payments(context.Background(), demoUserID)
	for _, p := range ps {
		if strings.HasPrefix(p.ID, "pay_storm_") {
			payments++
		}
	}
	runs := listRuns(t, h.c, `WebhookProvider = "dodo"`, 20)
	figure("duplicate_storm", "requests", 1000)
	figure("duplicate_storm", "answers", codesString(&codes))
	figure("duplicate_storm", "seconds", time.Since(start).Round(time.Millisecond))
	figure("duplicate_storm", "workflows", runs)
	figure("duplicate_storm", "succeeded", counts[string(domain.StatusSucceeded)])
	figure("duplicate_storm", "payment_rows", payments)
	figure("duplicate_storm", "emails", total)
	if runs != 20 || counts[string(domain.StatusSucceeded)] != 20 || payments != 20 || total != 20 || distinct != 20 {
		t.Errorf("want 20 workflows, events, payments and emails")
	}
}

func TestDrillWorkerKilledMidLoad(t *testing.T) {
	h := newHarness(t, 5)
	w := h.processWorker()
	const n = 500
	took := h.load("kill", n, nil, func() {
		for {
			evs, _ := h.st.ListEvents(context.Background(), store.EventFilter{Status: domain.StatusSucceeded, Limit: 1000})
			if len(evs) >= 100 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		_ = w.Process.Signal(syscall.SIGKILL)
		_ = w.Wait()
		figure("worker_killed", "killed_after_succeeded", ">=100")
		time.Sleep(2 * time.Second)
		w = h.processWorker()
	}, false)
	defer func() { _ = w.Process.Signal(syscall.SIGTERM); _ = w.Wait() }()
	counts := h.waitAll("kill", n, 4*time.Minute)
	total, distinct := h.emails("kill")
	figure("worker_killed", "events", n)
	figure("worker_killed", "ingress_seconds", took.Round(time.Millisecond))
	figure("worker_killed", "succeeded", counts[string(domain.StatusSucceeded)])
	figure("worker_killed", "statuses", fmt.Sprint(counts))
	figure("worker_killed", "emails", total)
	figure("worker_killed", "distinct_message_ids", distinct)
	if counts[string(domain.StatusSucceeded)] != n {
		t.Errorf("succeeded = %d, want %d", counts[string(domain.StatusSucceeded)], n)
	}
	if distinct != n {
		t.Errorf("distinct emails = %d, want %d", distinct, n)
	}
	if total != distinct {
		t.Logf("%d messages resent with the same Message-ID (crash between SMTP accept and marking sent)", total-distinct)
	}
}

const outageSeconds = 10

// outage is a load's during: a second into the load it stops a dependency,
// outageSeconds later it starts it again.
func outage(stop, start func()) func() {
	return func() {
		time.Sleep(time.Second)
		stop()
		time.Sleep(outageSeconds * time.Second)
		start()
	}
}

// answered reports whether a load got at least one answer with status.
func answered(codes *sync.Map, status int) bool {
	v, ok := codes.Load(status)
	return ok && v.(*atomic.Int64).Load() > 0
}

func TestDrillTemporalStopped(t *testing.T) {
	h := newHarness(t, 5)
	defer h.inProcessWorker()()
	var codes sync.Map
	const n = 300
	h.load("tdown", n, &codes, outage(func() { h.temporal.Stop() }, h.startTemporal), true)
	counts := h.waitAll("tdown", n, 3*time.Minute)
	figure("temporal_stopped", "down_seconds", outageSeconds)
	figure("temporal_stopped", "events", n)
	figure("temporal_stopped", "answers", codesString(&codes))
	figure("temporal_stopped", "statuses", fmt.Sprint(counts))
	if !answered(&codes, http.StatusAccepted) {
		t.Error("no 202 while Temporal was down")
	}
	if counts[string(domain.StatusSucceeded)] != n {
		t.Errorf("succeeded = %d, want %d", counts[string(domain.StatusSucceeded)], n)
	}
}

func TestDrillPostgresStopped(t *testing.T) {
	// Activities must outlast the outage (10 s plus the restart): 10
	// attempts from 100 ms, doubling, span ~50 s. With fewer, events whose
	// retries run out during the outage fail (and can be replayed).
	h := newHarness(t, 10)
	defer h.inProcessWorker()()
	var codes sync.Map
	const n = 300
	h.load("pgdown", n, &codes, outage(func() { h.pg.Close() }, h.startPostgres), true)
	counts := h.waitAll("pgdown", n, 4*time.Minute)
	total, distinct := h.emails("pgdown")
	figure("postgres_stopped", "events", n)
	figure("postgres_stopped", "answers", codesString(&codes))
	figure("postgres_stopped", "statuses", fmt.Sprint(counts))
	figure("postgres_stopped", "emails", total)
	figure("postgres_stopped", "distinct_message_ids", distinct)
	if !answered(&codes, http.StatusServiceUnavailable) {
		t.Error("no 503 while PostgreSQL was down")
	}
	if counts[string(domain.StatusSucceeded)] != n || distinct != n {
		t.Errorf("succeeded %d, distinct emails %d; want %d each", counts[string(domain.StatusSucceeded)], distinct, n)
	}
}

func TestDrillSMTPDown(t *testing.T) {
	h := newHarness(t, 3)
	defer h.inProcessWorker()()
	h.smtp.SetDown(true)
	const n = 20
	h.load("smtpdown", n, nil, nil, false)
	counts := h.waitAll("smtpdown", n, 2*time.Minute)
	time.Sleep(time.Second)
	// One incident for the cause: the first failure at once, the rest
	// summed up (the harness sums up every 2 s).
	alerts := len(h.slack.posts())
	h.smtp.SetDown(false)
	var out bytes.Buffer
	err := run(context.Background(), []string{"events", "replay", "--status", "failed", "--since", "1h",
		"--database-url", h.dbURL, "--temporal-address", h.temporal.Address()}, func(string) string { return "" }, &out, io.Discard)
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, out.String())
	}
	after := h.waitAll("smtpdown", n, 2*time.Minute, domain.StatusSucceeded)
	total, _ := h.emails("smtpdown")
	resolved := false
	for deadline := time.Now().Add(30 * time.Second); !resolved && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for _, p := range h.slack.posts() {
			resolved = resolved || strings.Contains(p, fmt.Sprintf("resolved: dodo payment.succeeded (%d failed, %d recovered", n, n))
		}
	}
	figure("smtp_down", "events", n)
	figure("smtp_down", "failed", counts[string(domain.StatusFailed)])
	figure("smtp_down", "alert_posts", alerts)
	figure("smtp_down", "resolved_posted", resolved)
	figure("smtp_down", "succeeded_after_replay", after[string(domain.StatusSucceeded)])
	figure("smtp_down", "emails_after_replay", total)
	if counts[string(domain.StatusFailed)] != n || alerts < 1 || alerts > 4 || !resolved {
		t.Errorf("failed %d (want %d), alert posts %d (want 1 to 4), resolved posted %v", counts[string(domain.StatusFailed)], n, alerts, resolved)
	}
	if after[string(domain.StatusSucceeded)] != n || total != n {
		t.Errorf("after replay: succeeded %d, emails %d; want %d", after[string(domain.StatusSucceeded)], total, n)
	}
}

func (r *receiver) setDown(down bool) { r.mu.Lock(); r.down = down; r.mu.Unlock() }

// paymentIDs counts the payments heard of with the prefix, and those that
// came with more than one webhook-id.
func (r *receiver) paymentIDs(prefix string) (payments, severalIDs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for p, ids := range r.payments {
		if strings.HasPrefix(p, prefix) {
			payments++
			if len(ids) > 1 {
				severalIDs++
			}
		}
	}
	return payments, severalIDs
}

// 64 connections send headers only, each declaring a 1 MiB body: signed
// deliveries keep being accepted meanwhile (the budget is charged for
// bytes received), and the idle ones are answered 408.
func TestDrillHeaderOnlyFlood(t *testing.T) {
	h := newHarness(t, 5)
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := h.binary([]string{"ingress", "--http", "127.0.0.1:" + strconv.Itoa(port), "--log-level", "error"},
		[]string{"DATABASE_URL=" + h.dbURL, "TEMPORAL_ADDRESS=" + h.temporal.Address(), "WEBHOOKD_SECRET_DODO=whsec_ZHJpbGxzLXNlY3JldA=="})
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	waitReady(t, base)
	var conns []net.Conn
	for i := range 64 {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /webhooks/dodo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\nwebhook-id: flood%d\r\n\r\n", i)
		conns = append(conns, c)
	}
	time.Sleep(200 * time.Millisecond)
	var codes sync.Map
	accepted := 0
	for i := range 50 {
		before := time.Now()
		if err := h.deliverTo(base, fmt.Sprintf("headerflood_%d", i), &codes); err == nil && time.Since(before) < time.Second {
			accepted++
		}
	}
	answered408 := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if line, _ := bufio.NewReader(c).ReadString('\n'); strings.Contains(line, " 408 ") {
			answered408++
		}
	}
	figure("header_only_flood", "idle_connections", len(conns))
	figure("header_only_flood", "signed_accepted_during_flood", fmt.Sprintf("%d of 50 (answers %s)", accepted, codesString(&codes)))
	figure("header_only_flood", "idle_answered_timeout", answered408)
	if accepted != 50 || answered408 != len(conns) {
		t.Errorf("accepted %d of 50 signed deliveries, %d of %d idle bodies answered 408", accepted, answered408, len(conns))
	}
}

// A zlib bomb on the codec server (256 MiB inflated from a few hundred
// KiB) is refused with 413, and the worker's peak RSS hardly moves.
func TestDrillCodecBomb(t *testing.T) {
	h := newHarness(t, 5)
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := h.binary([]string{"worker", "--http", "127.0.0.1:" + strconv.Itoa(port), "--log-level", "error"},
		[]string{"DATABASE_URL=" + h.dbURL, "TEMPORAL_ADDRESS=" + h.temporal.Address(), "SMTP_URL=" + h.smtp.URL(),
			"WEBHOOKD_ENCRYPTION_KEYS=" + codec.NewKey("k1"), "WEBHOOKD_CODEC_AUTH_TOKEN=drill-token"})
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	waitReady(t, base)
	inner, _ := proto.Marshal(&commonpb.Payload{Data: bytes.Repeat([]byte{'a'}, 256<<20)})
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(inner)
	zw.Close()
	inner = nil
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{{
		Metadata: map[string][]byte{"encoding": []byte("binary/zlib")}, Data: z.Bytes()}}})
	before := vmHWM(t, cmd.Process.Pid)
	var codes []int
	for range 5 {
		req, _ := http.NewRequest(http.MethodPost, base+"/codec/decode", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer drill-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	growth := float64(vmHWM(t, cmd.Process.Pid)-before) / 1024
	figure("codec_bomb", "request_kib", len(body)>>10)
	figure("codec_bomb", "inflates_to_mib", 256)
	figure("codec_bomb", "answers", fmt.Sprint(codes))
	figure("codec_bomb", "peak_rss_growth_mib", fmt.Sprintf("%.0f", growth))
	if slices.ContainsFunc(codes, func(c int) bool { return c != http.StatusRequestEntityTooLarge }) || growth > 128 {
		t.Errorf("answers %v (want 413s), peak RSS growth %.0f MiB (want under 128)", codes, growth)
	}
}

// The product's receiver is down for a minute during a burst of 200
// payments: every notification arrives after it is back, each payment's
// with one webhook-id, none lost.
func TestDrillNotifyReceiverDown(t *testing.T) {
	h := newHarness(t, 5)
	rcv := newReceiver(t, notifySecret)
	h.settings.NotifyURL, h.settings.NotifySecret = rcv.srv.URL, notifySecret
	defer h.inProcessWorker()()
	const n = 200
	rcv.setDown(true)
	start := time.Now()
	h.load("notify", n, nil, nil, false)
	h.waitAll("notify", n, 3*time.Minute, domain.StatusSucceeded)
	time.Sleep(time.Until(start.Add(time.Minute)))
	refusedWhileDown := rcv.refusedOnce()
	rcv.setDown(false)
	back := time.Now()
	var payments, several int
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if payments, several = rcv.paymentIDs("pay_notify_"); payments >= n {
			break
		}
	}
	figure("notify_receiver_down", "payments", n)
	figure("notify_receiver_down", "answered_503_while_down", refusedWhileDown)
	figure("notify_receiver_down", "notified_after", payments)
	figure("notify_receiver_down", "seconds_to_all_after_back", time.Since(back).Round(time.Second).Seconds())
	figure("notify_receiver_down", "payments_with_several_ids", several)
	figure("notify_receiver_down", "bad_signatures", rcv.bad())
	if payments != n || several != 0 || rcv.bad() != 0 {
		t.Errorf("notified %d of %d payments, %d with several ids, %d bad signatures", payments, n, several, rcv.bad())
	}
}

// Scale out: two `webhookd ingress` and two `webhookd worker` processes
// against one PostgreSQL and one Temporal; every event is delivered to both
// ingresses at once.
func TestDrillScaleOut(t *testing.T) {
	h := newHarness(t, 5)
	h.stopDisp() // the worker processes run the sweeps
	cfg := filepath.Join(h.dir, "providers.yaml")
	if err := os.WriteFile(cfg, []byte("providers:\n  - name: dodo\n    scheme: standard-webhooks\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"DATABASE_URL=" + h.dbURL, "TEMPORAL_ADDRESS=" + h.temporal.Address(), "WEBHOOKD_CONFIG=" + cfg,
		"WEBHOOKD_SECRET_DODO=whsec_ZHJpbGxzLXNlY3JldA==", "SMTP_URL=" + h.smtp.URL(), "SLACK_WEBHOOK_URL=" + h.slack.URL}
	ingresses := h.processes(2, env)
	const n = 200
	var codes sync.Map
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		for _, u := range ingresses {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := h.deliverTo(u, fmt.Sprintf("scale_%d", i), &codes); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	counts := h.waitAll("scale", n, 3*time.Minute)
	total, distinct := h.emails("scale")
	figure("scale_out", "processes", "2 ingress + 2 worker")
	figure("scale_out", "deliveries", 2*n)
	figure("scale_out", "answers", codesString(&codes))
	figure("scale_out", "seconds", time.Since(start).Round(time.Millisecond))
	figure("scale_out", "statuses", fmt.Sprint(counts))
	figure("scale_out", "emails", total)
	if counts[string(domain.StatusSucceeded)] != n || total != n || distinct != n {
		t.Errorf("succeeded %d, emails %d (%d distinct); want %d each", counts[string(domain.StatusSucceeded)], total, distinct, n)
	}
}

// processes starts n `webhookd ingress` and n `webhookd worker` processes
// with env, and returns the ingresses' URLs once they are ready.
func (h *harness) processes(n int, env []string) []string {
	var ingresses []string
	for i := 0; i < n; i++ {
		port := freePort(h.t)
		cmd := h.binary([]string{"ingress", "--http", "127.0.0.1:" + strconv.Itoa(port), "--log-level", "error"}, env)
		h.t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
		ingresses = append(ingresses, "http://127.0.0.1:"+strconv.Itoa(port))
		w := h.binary([]string{"worker", "--http", "127.0.0.1:0", "--log-level", "error"}, env)
		h.t.Cleanup(func() { _ = w.Process.Signal(syscall.SIGTERM); _ = w.Wait() })
	}
	for _, u := range ingresses {
		waitReady(h.t, u)
	}
	return ingresses
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready: %v", base, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Body flood: 300 concurrent unauthenticated 1 MiB bodies against a real
// `webhookd ingress`, each held back for 2 s before its last byte so that
// all are in flight at once. Bodies are read before the signature can be
// checked, so what bounds the memory is the in-flight budget (64 MiB by
// default; DRILL_INFLIGHT_BYTES overrides it, to compare): past it the
// answer is 503 before a byte is read.
func TestDrillBodyFlood(t *testing.T) {
	h := newHarness(t, 5)
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := h.binary([]string{"ingress", "--http", "127.0.0.1:" + strconv.Itoa(port), "--log-level", "error"},
		[]string{"DATABASE_URL=" + h.dbURL, "TEMPORAL_ADDRESS=" + h.temporal.Address(), "WEBHOOKD_SECRET_DODO=whsec_ZHJpbGxzLXNlY3JldA==",
			"WEBHOOKD_MAX_INFLIGHT_BYTES=" + os.Getenv("DRILL_INFLIGHT_BYTES")})
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	waitReady(t, base)
	before := vmHWM(t, cmd.Process.Pid)
	const n, size = 300, 1 << 20
	body := bytes.Repeat([]byte("x"), size)
	var codes sync.Map
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: n, MaxIdleConnsPerHost: n}, Timeout: time.Minute}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/dodo", &slowBody{data: body, pause: 2 * time.Second})
			req.ContentLength = size
			resp, err := client.Do(req)
			code := 0
			if err == nil {
				code = resp.StatusCode
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			v, _ := codes.LoadOrStore(code, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
		}()
	}
	wg.Wait()
	growth := float64(vmHWM(t, cmd.Process.Pid)-before) / 1024
	figure("body_flood", "requests", fmt.Sprintf("%d × %d MiB, unsigned, concurrent", n, size>>20))
	figure("body_flood", "answers", codesString(&codes))
	figure("body_flood", "peak_rss_growth_mib", fmt.Sprintf("%.0f", growth))
	budget := int64(ingress.DefaultInFlightBytes)
	if v, err := strconv.ParseInt(os.Getenv("DRILL_INFLIGHT_BYTES"), 10, 64); err == nil {
		budget = v
	}
	figure("body_flood", "inflight_budget_mib", budget>>20)
	if growth > 256 {
		t.Errorf("peak RSS grew %.0f MiB, want it bounded by the 64 MiB budget (and the runtime's overhead)", growth)
	}
}

// slowBody sends all but its last byte at once, then waits before the last.
type slowBody struct {
	data  []byte
	off   int
	pause time.Duration
}

func (b *slowBody) Read(p []byte) (int, error) {
	left := len(b.data) - b.off
	if left == 0 {
		return 0, io.EOF
	}
	if left == 1 && b.pause > 0 {
		time.Sleep(b.pause)
		b.pause = 0
	}
	n := copy(p, b.data[b.off:b.off+max(left-1, 1)])
	b.off += n
	return n, nil
}

// vmHWM is the peak resident set of a process, in KiB.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// Two `webhookd ingress` and two `webhookd worker` processes, SMTP down:
// the failures of both workers are one incident (its workflow ID is the
// cause's), so on-call gets one opening message and a summary, not one
// message per event or per process.
func TestDrillIncidentAcrossProcesses(t *testing.T) {
	h := newHarness(t, 2)
	h.stopDisp()
	h.smtp.SetDown(true)
	env := []string{"DATABASE_URL=" + h.dbURL, "TEMPORAL_ADDRESS=" + h.temporal.Address(),
		"WEBHOOKD_SECRET_DODO=whsec_ZHJpbGxzLXNlY3JldA==", "SMTP_URL=" + h.smtp.URL(), "SLACK_WEBHOOK_URL=" + h.slack.URL,
		"WEBHOOKD_RETRY_ATTEMPTS=2", "WEBHOOKD_RETRY_INITIAL_INTERVAL=100ms", "WEBHOOKD_ALERT_SUMMARY_INTERVAL=2s"}
	ingresses := h.processes(2, env)
	const n = 20
	for i := 0; i < n; i++ {
		if err := h.deliverTo(ingresses[i%2], fmt.Sprintf("inc_%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	counts := h.waitAll("inc", n, 2*time.Minute)
	deadline := time.Now().Add(30 * time.Second)
	summed := false
	for !summed && time.Now().Before(deadline) {
		for _, p := range h.slack.posts() {
			summed = summed || strings.Contains(p, fmt.Sprintf("(%d events)", n))
		}
		time.Sleep(200 * time.Millisecond)
	}
	posts := len(h.slack.posts())
	figure("incident_across_processes", "processes", "2 ingress + 2 worker")
	figure("incident_across_processes", "failed", counts[string(domain.StatusFailed)])
	figure("incident_across_processes", "alert_posts", posts)
	figure("incident_across_processes", "summary_with_all", summed)
	if counts[string(domain.StatusFailed)] != n || posts < 2 || posts > 4 || !summed {
		t.Errorf("failed %d (want %d), posts %d (want 2 to 4, one incident), summary of all %v", counts[string(domain.StatusFailed)], n, posts, summed)
	}
}
