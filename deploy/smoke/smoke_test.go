//go:build smoke

// Package smoke runs the production stack of docker-compose.yml without
// Docker: the processes its services start, in its order, each with the
// environment, command and mounted files the compose file gives it, against
// a PostgreSQL with the compose file's roles and a Temporal server built
// from the same release as its image (started the way the image starts it:
// `temporal-server start`, configured only by the environment). Only what
// a container would find elsewhere is mapped: a service's host name to
// 127.0.0.1 and a free port, a mounted path to the repository's file.
//
//	make smoke
package smoke

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"gopkg.in/yaml.v3"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email/smtptest"
	"github.com/webhookd/webhookd/internal/postgres"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/store"
)

// service is the part of a compose service the smoke test runs.
type service struct {
	Command     []string          `yaml:"command"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Environment map[string]string `yaml:"environment"`
	EnvFile     string            `yaml:"env_file"`
	Volumes     []string          `yaml:"volumes"`
	Scale       int               `yaml:"scale"`
	Secrets     []string          `yaml:"secrets"`
}

type stack struct {
	t        *testing.T
	repo     string
	bin      string
	dir      string
	services map[string]service
	vars     map[string]string // the stack env file: compose's interpolation
	envFile  map[string]string // the webhookd env file: env_file
	hosts    map[string]string // compose host:port → 127.0.0.1:port
	pids     map[string][]int  // a service's processes (daemons)
	secrets  map[string]struct {
		File string `yaml:"file"`
	} // compose's top-level secrets
}

// running is the production stack started: its ingresses' URLs, its
// PostgreSQL, webhookd's database and the dodo provider it serves.
type running struct {
	s           *stack
	pg          *postgres.Cluster
	smtp        *smtptest.Server
	ingresses   []string
	st          *store.Store
	dodo        *provider.Provider
	webhookdURL string
}

// startProduction runs docker-compose.yml's stack without Docker: its jobs
// (twice: a second `up`), Temporal with mTLS, the scaled ingresses and
// workers (workerEnv added to the workers' environment).
func startProduction(t *testing.T, workerEnv []string) *running {
	ctx := context.Background()
	s := newStack(t)
	smtp := smtptest.Start(t)

	// postgres: the image's superuser.
	pgPort := freePort(t)
	pg, err := postgres.Start(ctx, postgres.Options{Dir: filepath.Join(s.dir, "pg"), Port: pgPort, Database: "postgres"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	u, _ := url.Parse(pg.URL("postgres"))
	superPW, _ := u.User.Password()
	s.hosts["postgres:5432"] = "127.0.0.1:" + strconv.Itoa(pgPort)
	s.hosts["postgres"] = "127.0.0.1"

	// The operator's two env files and secret files, as deploy/*.env.example
	// and docs/production.md ("Secrets") ask for them. A URL in a file is
	// read as is: its host is the test's.
	const secret = "whsec_c21va2UtdGVzdC1zZWNyZXQ="
	webhookdURL := "postgres://webhookd:w3bh00kdpw@127.0.0.1:" + strconv.Itoa(pgPort) + "/webhookd?sslmode=disable"
	s.vars = map[string]string{"WEBHOOKD_DOMAIN": "webhooks.example.com", "WEBHOOKD_SECRETS_DIR": filepath.Join(s.dir, "secrets")}
	s.writeSecrets(map[string]string{"postgres_password": superPW, "temporal_db_password": "t3mp0ralpw",
		"webhookd/DATABASE_URL": webhookdURL, "webhookd/WEBHOOKD_CODEC_AUTH_TOKEN": "c0dec-t0ken-smoke",
		"webhookd/WEBHOOKD_SECRET_DODO": secret, "webhookd/SMTP_URL": smtp.URL()})
	s.envFile = map[string]string{"WEBHOOKD_SECRET_DODO_FILE": "/run/secrets/webhookd/WEBHOOKD_SECRET_DODO",
		"SMTP_URL_FILE": "/run/secrets/webhookd/SMTP_URL",
		"EMAIL_FROM":    "webhookd <no-reply@example.com>", "TEMPORAL_UI_URL": "http://localhost:8233", "LOG_LEVEL": "info"}
	pgBin, err := postgres.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}

	// The one-shot jobs, twice each: a second `up` on the same volume.
	for range 2 {
		s.job("postgres-init", nil, []string{"PGPORT=" + strconv.Itoa(pgPort), "PATH=" + pgBin + ":" + os.Getenv("PATH")})
		s.job("temporal-schema", nil, []string{"SQL_PORT=" + strconv.Itoa(pgPort), "PATH=" + s.bin + ":" + os.Getenv("PATH"),
			"TEMPORAL_SCHEMA_DIR=" + temporalSchemaDir(t)})
	}

	// Temporal's frontend requires TLS and a client certificate (mTLS, as a
	// self-hosted cluster with TLS or Temporal Cloud would): webhookd gets
	// Temporal's own client variables in its env file, as an operator
	// would write them.
	tlsDir := filepath.Join(s.dir, "tls")
	certs := newCerts(t, tlsDir)
	for k, v := range map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": certs.clientCert, "TEMPORAL_TLS_CLIENT_KEY_PATH": certs.clientKey,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": certs.ca, "TEMPORAL_TLS_SERVER_NAME": "localhost"} {
		s.envFile[k] = v
	}
	temporal := s.startTemporal(pgPort, certs.serverEnv()...)
	s.hosts["temporal:7233"] = temporal
	if c, err := client.Dial(client.Options{HostPort: temporal, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}); err == nil {
		c.Close()
		t.Fatal("Temporal's frontend answers a plaintext client: the stack is not testing TLS")
	}

	s.job("temporal-setup", []string{s.bin + "/webhookd"}, nil)
	s.job("migrate", []string{s.bin + "/webhookd"}, nil)

	ingresses := s.scaled("ingress", "8080", nil)
	s.scaled("worker", "9090", workerEnv)
	st, err := store.Open(ctx, webhookdURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &running{s: s, pg: pg, smtp: smtp, ingresses: ingresses, st: st, dodo: dodoProvider(t, secret), webhookdURL: webhookdURL}
}

func TestProductionStack(t *testing.T) {
	ctx := context.Background()
	// The retry policy is the worker's, whichever process starts the run
	// (here the ingress, which has no such setting): 2 attempts.
	r := startProduction(t, []string{"WEBHOOKD_RETRY_ATTEMPTS=2", "WEBHOOKD_RETRY_INITIAL_INTERVAL=200ms"})
	smtp, ingresses, st, dodo, webhookdURL := r.smtp, r.ingresses, r.st, r.dodo, r.webhookdURL

	// Events through both ingresses, each also delivered a second time to
	// the other one: every event runs once.
	if err := st.UpsertUser(ctx, "usr_smoke", "smoke@example.com"); err != nil {
		t.Fatal(err)
	}
	const n = 20
	for i := range n {
		id := fmt.Sprintf("evt_smoke_%02d", i)
		for j := range 2 {
			if code := deliver(t, dodo, ingresses[(i+j)%len(ingresses)], id); code != 200 {
				t.Fatalf("delivery %d of %s: %d", j+1, id, code)
			}
		}
	}
	waitSucceeded(t, st, n)
	if ps, _ := st.Payments(ctx, "usr_smoke"); len(ps) != n {
		t.Errorf("payments = %d, want %d", len(ps), n)
	}
	waitFor(t, 10*time.Second, func() bool { return len(smtp.Messages()) >= n })
	time.Sleep(time.Second)
	if got := len(smtp.Messages()); got != n {
		t.Errorf("emails = %d, want %d", got, n)
	}

	// The worker's two attempts: an email that fails once is sent on the
	// second; one that fails twice fails the event (the default policy,
	// 5 attempts, would have sent it on the third).
	for _, tc := range []struct {
		fail int
		want domain.Status
	}{{1, domain.StatusSucceeded}, {2, domain.StatusFailed}} {
		smtp.FailNext(tc.fail)
		id := fmt.Sprintf("evt_smoke_retry_%d", tc.fail)
		if code := deliver(t, dodo, ingresses[0], id); code != 200 {
			t.Fatalf("delivery of %s: %d", id, code)
		}
		var got domain.Status
		waitFor(t, 60*time.Second, func() bool {
			ev, err := st.GetEventByKey(ctx, "dodo", id)
			got = ev.Status
			return err == nil && (ev.Status == domain.StatusSucceeded || ev.Status == domain.StatusFailed)
		})
		if got != tc.want {
			t.Errorf("email failing %d time(s) with --retry-attempts 2 on the worker: %s, want %s", tc.fail, got, tc.want)
		}
	}

	// The roles are separate: webhookd cannot read Temporal's tables.
	other, err := store.Open(ctx, strings.Replace(webhookdURL, "/webhookd?", "/temporal?", 1))
	if err == nil {
		_, err = other.DB().ExecContext(ctx, "SELECT count(*) FROM executions")
		other.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("webhookd reading Temporal's executions: %v, want permission denied", err)
	}
}

func newStack(t *testing.T) *stack {
	repo, _ := filepath.Abs("../..")
	bin := os.Getenv("SMOKE_BIN")
	if bin == "" {
		bin = filepath.Join(repo, "bin")
	}
	for _, name := range []string{"webhookd", "temporal-server", "temporal-sql-tool"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			t.Fatalf("%s (run `make smoke`, which builds it): %v", name, err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(repo, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Services map[string]service `yaml:"services"`
		Secrets  map[string]struct {
			File string `yaml:"file"`
		} `yaml:"secrets"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "webhookd-smoke-")
	if err != nil {
		t.Fatal(err)
	}
	// The PostgreSQL server runs as the postgres user when the test is root.
	_ = os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return &stack{t: t, repo: repo, bin: bin, dir: dir, services: file.Services, secrets: file.Secrets, hosts: map[string]string{}}
}

var interpolation = regexp.MustCompile(`\$\{([A-Z_0-9]+)(?::([?-])([^}]*))?\}`)

// interpolate fills ${VAR}, ${VAR:-default} and ${VAR:?message} from the
// stack env file, as compose does; a missing required one fails the test
// with compose's message.
func (s *stack) interpolate(v string) string {
	return interpolation.ReplaceAllStringFunc(v, func(m string) string {
		g := interpolation.FindStringSubmatch(m)
		if val := s.vars[g[1]]; val != "" {
			return val
		}
		if g[2] == "?" {
			s.t.Fatalf("compose would refuse to start: %s", g[3])
		}
		return g[3]
	})
}

// env is the service's environment as compose gives it: the env file, then
// `environment` over it, interpolated, with host names mapped.
func (s *stack) env(name string, extra []string) []string {
	svc := s.services[name]
	vars := map[string]string{}
	if svc.EnvFile != "" {
		for k, v := range s.envFile {
			vars[k] = s.mapSecrets(name, v)
		}
	}
	for k, v := range svc.Environment {
		vars[k] = s.mapSecrets(name, s.mapMounts(name, s.mapHosts(s.interpolate(v))))
	}
	out := []string{"HOME=" + s.dir, "PATH=" + os.Getenv("PATH")}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return append(out, extra...)
}

func (s *stack) mapHosts(v string) string {
	if to, ok := s.hosts[v]; ok {
		return to
	}
	// A host:port inside a URL (DATABASE_URL).
	for from, to := range s.hosts {
		v = strings.ReplaceAll(v, "@"+from+"/", "@"+to+"/")
	}
	return v
}

// argv is the service's entrypoint and command with mounted paths mapped to
// the repository's files; image is what the image would run first.
func (s *stack) argv(name string, image []string) []string {
	svc := s.services[name]
	args := append(append(append([]string{}, image...), svc.Entrypoint...), svc.Command...)
	for i, a := range args {
		args[i] = s.mapMounts(name, a)
	}
	return args
}

// mapMounts maps a path inside the service's container, under one of its
// bind mounts, to the repository's file.
func (s *stack) mapMounts(name, v string) string {
	for _, vol := range s.services[name].Volumes {
		parts := strings.Split(vol, ":")
		if len(parts) >= 2 && strings.HasPrefix(parts[0], "./") && strings.HasPrefix(v, parts[1]) {
			return filepath.Join(s.repo, parts[0]) + strings.TrimPrefix(v, parts[1])
		}
	}
	return v
}

// writeSecrets writes the secret files into WEBHOOKD_SECRETS_DIR, as the
// operator does before `up`.
func (s *stack) writeSecrets(files map[string]string) {
	for name, v := range files {
		path := filepath.Join(s.vars["WEBHOOKD_SECRETS_DIR"], name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(v+"\n"), 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
}

// mapSecrets maps a path under /run/secrets/<secret> of a service that
// has that compose secret to the secret's file (or directory).
func (s *stack) mapSecrets(name, v string) string {
	rest, ok := strings.CutPrefix(v, "/run/secrets/")
	if !ok {
		return v
	}
	secret, sub, _ := strings.Cut(rest, "/")
	if !slices.Contains(s.services[name].Secrets, secret) {
		s.t.Fatalf("%s reads %s but has no secret %q", name, v, secret)
	}
	file := s.secrets[secret].File
	if file == "" {
		s.t.Fatalf("no secret %q in docker-compose.yml", secret)
	}
	file = s.interpolate(file)
	if !filepath.IsAbs(file) {
		file = filepath.Join(s.repo, file)
	}
	return filepath.Join(file, sub)
}

// mounted is mapMounts of a path that must be mounted.
func (s *stack) mounted(name, path string) string {
	if p := s.mapMounts(name, path); p != path {
		return p
	}
	s.t.Fatalf("%s mounts nothing at %s", name, path)
	return ""
}

// job runs a one-shot service to completion; compose's `on-failure`
// restarts are its retries.
func (s *stack) job(name string, image, extra []string) {
	s.t.Helper()
	args := s.argv(name, image)
	var last []byte
	for attempt := 1; attempt <= 3; attempt++ {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = s.env(name, extra)
		out, err := cmd.CombinedOutput()
		if err == nil {
			s.t.Logf("%s: done", name)
			return
		}
		last = append(out, []byte(err.Error())...)
		time.Sleep(time.Second)
	}
	s.t.Fatalf("%s failed 3 times:\n%s", name, last)
}

// startTemporal runs the server as the image does, with the service's
// environment; only the listen addresses differ (loopback, free ports).
func (s *stack) startTemporal(pgPort int, tlsEnv ...string) string {
	s.t.Helper()
	extra := append(tlsEnv, "BIND_ON_IP=127.0.0.1", "DB_PORT="+strconv.Itoa(pgPort),
		"DYNAMIC_CONFIG_FILE_PATH="+s.mounted("temporal", s.services["temporal"].Environment["DYNAMIC_CONFIG_FILE_PATH"]))
	ports := map[string]int{}
	for _, k := range []string{"FRONTEND_GRPC_PORT", "FRONTEND_HTTP_PORT", "FRONTEND_MEMBERSHIP_PORT", "HISTORY_GRPC_PORT", "HISTORY_MEMBERSHIP_PORT",
		"MATCHING_GRPC_PORT", "MATCHING_MEMBERSHIP_PORT", "WORKER_GRPC_PORT", "WORKER_MEMBERSHIP_PORT"} {
		ports[k] = freePort(s.t)
		extra = append(extra, fmt.Sprintf("%s=%d", k, ports[k]))
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports["FRONTEND_GRPC_PORT"])
	// The compose file's entrypoint (its password from a secret file), then
	// the server as the image starts it.
	args := s.argv("temporal", nil)
	s.daemon("temporal", []string{args[0], args[1], filepath.Join(s.bin, "temporal-server"), "start"}, extra)
	// The image's healthcheck: the frontend port accepts connections.
	waitFor(s.t, 90*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

// scaled starts the service's replicas, each listening on a free port
// where the container listens on port; it returns their URLs once ready.
func (s *stack) scaled(name, port string, extra []string) []string {
	s.t.Helper()
	svc := s.services[name]
	if svc.Scale < 2 {
		s.t.Errorf("%s: scale %d, want at least 2", name, svc.Scale)
	}
	var urls []string
	for range max(svc.Scale, 1) {
		addr := "127.0.0.1:" + strconv.Itoa(freePort(s.t))
		args := s.argv(name, []string{filepath.Join(s.bin, "webhookd")})
		for i, a := range args {
			if a == ":"+port {
				args[i] = addr
			}
		}
		s.daemon(name, args, extra)
		urls = append(urls, "http://"+addr)
	}
	for _, u := range urls {
		waitFor(s.t, 60*time.Second, func() bool { return get(u+"/readyz") == 200 })
	}
	return urls
}

// daemon starts a long-running service, stopped (SIGTERM) at the end.
func (s *stack) daemon(name string, args, extra []string) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = s.env(name, extra)
	// One writer for both: exec then calls it from one goroutine at a time.
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	if s.pids == nil {
		s.pids = map[string][]int{}
	}
	s.pids[name] = append(s.pids[name], cmd.Process.Pid)
	s.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if s.t.Failed() {
			s.t.Logf("%s output:\n%s", name, tail(out.String(), 3000))
			return
		}
		// How webhookd reached Temporal, as its start line says.
		if name == "ingress" || name == "worker" {
			line, _, _ := strings.Cut(out.String()[max(strings.Index(out.String(), `"temporal_connection"`), 0):], "\n")
			s.t.Logf("%s: …%s", name, line)
			if !strings.HasPrefix(line, `"temporal_connection":"mTLS"`) {
				s.t.Errorf("%s did not say it connected to Temporal with mTLS", name)
			}
		}
	})
}

func temporalSchemaDir(t *testing.T) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/server").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "schema")
}

func dodoProvider(t *testing.T, secret string) *provider.Provider {
	all, err := provider.LoadProviders("", true, func(k string) string {
		if k == "WEBHOOKD_SECRET_DODO" {
			return secret
		}
		return ""
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return all["dodo"]
}

func deliver(t *testing.T, p *provider.Provider, base, id string) int {
	data := fmt.Sprintf(`{"payment_id":"pay_%s","total_amount":1500,"currency":"USD","customer":{"customer_id":"cus_smoke","email":"smoke@example.com"},"metadata":{"user_id":"usr_smoke"}}`, id)
	hdr, body, err := p.BuildEnvelope(id, "payment.succeeded", time.Now(), []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := p.Signer()
	for k, v := range signer.Sign(id, time.Now(), body) {
		hdr[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/dodo", bytes.NewReader(body))
	req.Header = hdr
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func waitSucceeded(t *testing.T, st *store.Store, n int) {
	t.Helper()
	var evs []store.Event
	waitFor(t, 90*time.Second, func() bool {
		evs, _ = st.ListEvents(context.Background(), store.EventFilter{Status: domain.StatusSucceeded, Limit: 1000})
		return len(evs) >= n
	})
	for _, ev := range evs {
		if ev.Attempts != 1 {
			t.Errorf("%s ran %d times, want once", ev.EventID, ev.Attempts)
		}
	}
}

func get(u string) int {
	resp, err := http.Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !ok(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s", limit)
		}
	}
}

func freePort(t *testing.T) int {
	p, err := postgres.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
