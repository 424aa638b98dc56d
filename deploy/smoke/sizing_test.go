//go:build smoke

package smoke

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/lib/pq" // database/sql driver "postgres"

	"github.com/webhookd/webhookd/internal/domain"
)

// TestSizing measures what each component of the production topology
// costs per event: the stack of TestProductionStack (Temporal on
// PostgreSQL, two ingresses, two workers, each its own process) takes
// payments at a fixed rate, Poisson arrivals, and the test reads the CPU
// time of every process and of PostgreSQL (its server and every backend,
// those that exited included) and the growth of each database. It prints
// figures, never fails on them: `make sizing` (SIZING_RATE, SIZING_SECONDS).
func TestSizing(t *testing.T) {
	if os.Getenv("SIZING") == "" {
		t.Skip("make sizing runs it (SIZING=1)")
	}
	rate, _ := strconv.ParseFloat(envOr("SIZING_RATE", "25"), 64)
	seconds, _ := strconv.Atoi(envOr("SIZING_SECONDS", "60"))
	ctx := context.Background()
	r := startProduction(t, nil)
	if err := r.st.UpsertUser(ctx, "usr_smoke", "smoke@example.com"); err != nil {
		t.Fatal(err)
	}
	post := func(id string) error {
		if code := deliver(t, r.dodo, r.ingresses[rand.IntN(len(r.ingresses))], id); code != 200 {
			return fmt.Errorf("%s: %d", id, code)
		}
		return nil
	}
	// Warm-up: connections, caches, the namespace's first tasks.
	for i := range 50 {
		if err := post(fmt.Sprintf("evt_warm_%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitSucceeded(t, r.st, 50)
	time.Sleep(3 * time.Second)

	before := r.snapshot(t)
	n := int(rate * float64(seconds))
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	gen := rand.New(rand.NewPCG(1, 2))
	var at float64
	for i := range n {
		at += gen.ExpFloat64() / rate
		time.Sleep(time.Until(start.Add(time.Duration(at * float64(time.Second)))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if post(fmt.Sprintf("evt_size_%d", i)) != nil {
				errs.Add(1)
			}
		}()
	}
	wg.Wait()
	waitFor(t, 5*time.Minute, func() bool {
		var left int
		_ = r.st.DB().QueryRowContext(ctx, `SELECT count(*) FROM webhook_events WHERE event_id LIKE 'evt\_size\_%' AND status <> $1`, domain.StatusSucceeded).Scan(&left)
		return left == 0
	})
	took := time.Since(start)
	time.Sleep(3 * time.Second) // the server's work after the last close (visibility, timers)
	after := r.snapshot(t)

	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	fmt.Printf("# webhookd sizing: %d payments at %.0f/s (Poisson) over %s, 2 ingresses, 2 workers, Temporal (4 services, one process) on PostgreSQL, %d CPUs\n",
		n, rate, took.Round(time.Second), runtime.NumCPU())
	fmt.Printf("sizing_events: %d\nsizing_errors: %d\nsizing_achieved_per_s: %.2f\n", n, errs.Load(), float64(n)/took.Seconds())
	var total time.Duration
	for _, c := range []string{"ingress", "worker", "temporal", "postgres"} {
		d := after.cpu[c] - before.cpu[c]
		total += d
		fmt.Printf("sizing_%s_cpu_ms_per_event: %.3f\n", c, per(d))
	}
	fmt.Printf("sizing_total_cpu_ms_per_event: %.3f\n", per(total))
	for _, db := range []string{"webhookd", "temporal", "temporal_visibility"} {
		fmt.Printf("sizing_%s_db_bytes_per_event: %.0f\n", db, float64(after.size[db]-before.size[db])/float64(n))
	}
	fmt.Printf("sizing_wal_bytes_per_event: %.0f\n", float64(after.wal-before.wal)/float64(n))
}

// usage is the stack's CPU time by component, its databases' sizes and the
// WAL position.
type usage struct {
	cpu  map[string]time.Duration
	size map[string]int64
	wal  int64
}

func (r *running) snapshot(t *testing.T) usage {
	t.Helper()
	u := usage{cpu: map[string]time.Duration{}, size: map[string]int64{}}
	for _, name := range []string{"ingress", "worker", "temporal"} {
		for _, pid := range r.s.pids[name] {
			u.cpu[name] += procCPU(pid, false)
		}
	}
	// PostgreSQL: the postmaster with the backends it has reaped, and the
	// live ones.
	raw, err := os.ReadFile(filepath.Join(r.pg.Dir(), "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pm, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[0]))
	u.cpu["postgres"] = procCPU(pm, true)
	for _, pid := range children(pm) {
		u.cpu["postgres"] += procCPU(pid, false)
	}
	db := r.st.DB()
	for _, name := range []string{"webhookd", "temporal", "temporal_visibility"} {
		var n int64
		if err := db.QueryRow(`SELECT pg_database_size($1)`, name).Scan(&n); err != nil {
			t.Fatalf("size of %s: %v", name, err)
		}
		u.size[name] = n
	}
	// pg_current_wal_lsn needs pg_monitor; the superuser reads it.
	su, err := sql.Open("postgres", r.pg.URL("postgres"))
	if err == nil {
		_ = su.QueryRow(`SELECT pg_current_wal_lsn() - '0/0'`).Scan(&u.wal)
		su.Close()
	}
	return u
}

// procCPU is a process's user and system CPU time, with that of its
// waited-for children when withChildren (/proc/<pid>/stat).
func procCPU(pid int, withChildren bool) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
	ticks := int64(0)
	idx := []int{11, 12} // utime, stime (fields 14, 15)
	if withChildren {
		idx = append(idx, 13, 14) // cutime, cstime
	}
	for _, i := range idx {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100
}

// children are the live processes whose parent is pid.
func children(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if pp, _ := strconv.Atoi(f[1]); pp == pid {
			out = append(out, c)
		}
	}
	sort.Ints(out)
	return out
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
