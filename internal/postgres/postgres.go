// Package postgres manages a local PostgreSQL cluster built from the system's
// PostgreSQL binaries: initdb into a directory on first use, start the server
// on a free loopback port, stop it on Close. `webhookd dev` and the tests use
// it so that nothing but the PostgreSQL packages has to be installed.
package postgres

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// ErrNoBinaries means no PostgreSQL server binaries were found.
var ErrNoBinaries = errors.New("no PostgreSQL binaries (initdb, postgres) found on PATH or under /usr/lib/postgresql/*/bin: " +
	"install them (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to an existing server")

// Options configures a managed cluster.
type Options struct {
	// Dir holds the cluster; it is created by initdb when it has no PG_VERSION.
	Dir string
	// Port to listen on (127.0.0.1); 0 picks a free one.
	Port int
	// Database is created on start when missing (default "webhookd").
	Database string
	// LogFile receives the server's log (default Dir/../postgres.log).
	LogFile string
	// ExtraConfig is passed to the server as -c name=value settings.
	ExtraConfig map[string]string
}

// Cluster is a running PostgreSQL server owned by this process.
type Cluster struct {
	opts     Options
	password string // the postgres role's, from passwordFile
	port     int
	cmd      *exec.Cmd
	done     chan struct{}
	waitErr  error
}

// FindBinDir returns the directory holding initdb and postgres.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Prefer the newest major version.
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start initialises the cluster when needed and starts the server. The
// server is a child process that the kernel stops if this process dies, so a
// crash leaves no postgres behind.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Database == "" {
		opts.Database = "webhookd"
	}
	if opts.LogFile == "" {
		opts.LogFile = filepath.Join(filepath.Dir(opts.Dir), "postgres.log")
	}
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if opts.Dir, err = prepareDir(ctx, bin, opts.Dir, cred); err != nil {
		return nil, err
	}
	// A server left by a process that was killed along with its kernel
	// session cannot exist (see Pdeathsig); a stale pid file is handled by
	// postgres itself.
	port := opts.Port
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(opts.LogFile), 0o755); err != nil {
		return nil, fmt.Errorf("postgres: log dir: %w", err)
	}
	logf, err := os.OpenFile(opts.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("postgres: open log: %w", err)
	}
	args := serverArgs(opts, port)
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGQUIT, Credential: cred}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("postgres: start server: %w", err)
	}
	c := &Cluster{opts: opts, port: port, cmd: cmd, done: make(chan struct{})}
	if raw, err := os.ReadFile(passwordFile(opts.Dir)); err == nil {
		c.password = strings.TrimSpace(string(raw))
	}
	go func() {
		c.waitErr = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	if err := c.waitReady(ctx); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.requirePassword(ctx, cred); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.CreateDatabase(ctx, opts.Database); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// prepareDir makes the data dir (relocated when the postgres user cannot
// reach it), owned by the server's user, and runs initdb in it once.
func prepareDir(ctx context.Context, bin, dir string, cred *syscall.Credential) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	if b := blocker(dir); cred != nil && b != "" {
		// PostgreSQL runs as the postgres user, which cannot pass b.
		dir = relocated(dir)
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", fmt.Errorf("postgres: %s is private to root and %w", b, err)
		}
		_ = os.Chmod(filepath.Dir(filepath.Dir(dir)), 0o755)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("postgres: create %s: %w", dir, err)
	}
	if err := chown(dir, cred); err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := initdb(ctx, bin, dir, cred); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// serverArgs are the postgres command's arguments: loopback only, no Unix
// socket, then opts.ExtraConfig in a stable order.
func serverArgs(opts Options, port int) []string {
	args := []string{"-D", opts.Dir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
		"-c", "fsync=on", "-c", "max_connections=500"}
	keys := make([]string, 0, len(opts.ExtraConfig))
	for k := range opts.ExtraConfig {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+opts.ExtraConfig[k])
	}
	return args
}

// Dir is where the cluster's files are (see Options.Dir; as root, a data
// dir the postgres user cannot reach is relocated under /var/lib/webhookd-dev).
func (c *Cluster) Dir() string { return c.opts.Dir }

// Port is the TCP port the server listens on.
func (c *Cluster) Port() int { return c.port }

// URL returns a lib/pq connection URL for database name.
func (c *Cluster) URL(name string) string {
	user := url.User("postgres")
	if c.password != "" {
		user = url.UserPassword("postgres", c.password)
	}
	u := url.URL{Scheme: "postgres", User: user,
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)), Path: "/" + name,
		RawQuery: "sslmode=disable"}
	return u.String()
}

// DatabaseURL is the URL of the database named in Options.
func (c *Cluster) DatabaseURL() string { return c.URL(c.opts.Database) }

// Close stops the server with a fast shutdown and waits for it to exit.
func (c *Cluster) Close() error {
	select {
	case <-c.done:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT) // fast shutdown: roll back, checkpoint, exit
	select {
	case <-c.done:
	case <-time.After(8 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
	return nil
}

// Kill stops the server abruptly, as a crash would (for fault drills).
func (c *Cluster) Kill() {
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.done
}

func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer db.Close()
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("postgres: server exited during start (see %s): %v", c.opts.LogFile, c.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("postgres: not ready (see %s): %w", c.opts.LogFile, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// CreateDatabase creates database name unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	return CreateDatabaseAt(ctx, c.URL("postgres"), name)
}

func initdb(ctx context.Context, bin, dir string, cred *syscall.Credential) error {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("postgres: initdb %s: %w\n%s", dir, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// passwordFile holds the postgres role's password (mode 0600, owned by the
// server's user), generated on the cluster's first start.
func passwordFile(dir string) string { return filepath.Join(dir, "webhookd-superuser.password") }

// hbaConf admits password (SCRAM) connections over loopback TCP only; the
// server has no Unix socket. initdb's "trust" would let any local user in
// as superuser.
const hbaConf = `# written by webhookd: password connections over loopback only
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
`

// requirePassword makes the server ask for the postgres role's password:
// on the first start (or a cluster from when it trusted local connections)
// it generates the password, stores it, sets it and replaces pg_hba.conf.
// Each step is idempotent, so a start interrupted half way finishes the
// job on the next.
func (c *Cluster) requirePassword(ctx context.Context, cred *syscall.Credential) error {
	hba := filepath.Join(c.opts.Dir, "pg_hba.conf")
	if cur, err := os.ReadFile(hba); err == nil && string(cur) == hbaConf && c.password != "" {
		return nil
	}
	if c.password == "" {
		b := make([]byte, 24)
		if _, err := crand.Read(b); err != nil {
			return err
		}
		c.password = hex.EncodeToString(b)
		if err := writeOwned(passwordFile(c.opts.Dir), c.password+"\n", cred); err != nil {
			return err
		}
	}
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `ALTER ROLE postgres PASSWORD `+pq.QuoteLiteral(c.password)); err != nil {
		return fmt.Errorf("postgres: set password: %w", err)
	}
	if err := writeOwned(hba, hbaConf, cred); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `SELECT pg_reload_conf()`); err != nil {
		return fmt.Errorf("postgres: reload pg_hba.conf: %w", err)
	}
	return nil
}

// writeOwned writes a 0600 file owned by the server's user.
func writeOwned(path, content string, cred *syscall.Credential) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return chown(path, cred)
}

// serverCredential returns the identity to run PostgreSQL as. PostgreSQL
// refuses to run as root, so as root we switch to the "postgres" system user
// (created by the distribution's packages) and fall back to "nobody".
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, errors.New("postgres: running as root and no 'postgres' or 'nobody' user to run the server as")
}

// blocker returns the first ancestor of dir that other users cannot
// search (so the postgres user cannot reach dir), or "".
func blocker(dir string) string {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err == nil && st.Mode().Perm()&0o001 == 0 {
			return p
		}
		if p == "/" || p == "." {
			return ""
		}
	}
}

// relocated is where a cluster goes when root's data dir is out of the
// postgres user's reach (under /root, say): a directory named after the
// data dir, so every start finds the same cluster again.
func relocated(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join("/var/lib/webhookd-dev", hex.EncodeToString(sum[:6]), "postgres")
}

// chown gives dir to the server's user.
func chown(dir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	if err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(cred.Uid), int(cred.Gid))
	}); err != nil {
		return fmt.Errorf("postgres: chown %s: %w", dir, err)
	}
	return nil
}

// FreePort returns a TCP port that is free on 127.0.0.1 now, for a server
// that binds it a moment later. It picks below the kernel's ephemeral range:
// a port the kernel hands out for ":0" is in that range, where an outgoing
// connection can take it as its local port before the server binds it (the
// embedded Temporal then exits on "Failed to start gRPC listener", about one
// test run in eight here). Outside the range only another listener can,
// and FreePort never hands out a port twice in one process, so ports picked
// together (Temporal's services, a test's servers) cannot collide before
// they are bound.
func FreePort() (int, error) {
	const lowest = 10000
	if high := ephemeralLow(); high-lowest >= 1000 {
		for range 50 {
			p := lowest + rand.IntN(high-lowest)
			if !handOut(p) {
				continue
			}
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				continue
			}
			l.Close()
			return p, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// handOut records p as handed out; false if it already was.
func handOut(p int) bool {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports[p] {
		return false
	}
	handedOut.ports[p] = true
	return true
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux),
// or 0 when unknown.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 0
	}
	return n
}

// CreateDatabaseAt creates database name on the server of url unless it
// exists (the URL's user needs CREATEDB).
func CreateDatabaseAt(ctx context.Context, rawURL, name string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	u.Path = "/postgres"
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return fmt.Errorf("postgres: create database %s: %w", name, err)
	}
	return nil
}
