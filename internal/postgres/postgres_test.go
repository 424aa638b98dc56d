package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/lib/pq"

	"github.com/webhookd/webhookd/internal/postgres"
)

// As root, a data dir the postgres user cannot reach is relocated, and the
// next start with the same data dir finds the same cluster.
func TestRootPrivateDataDirIsRelocated(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root relocates")
	}
	private, err := os.MkdirTemp("", "webhookd-private-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(private) // mode 0700: the postgres user cannot pass
	dir := filepath.Join(private, "data", "postgres")
	var where string
	for round := 0; round < 2; round++ {
		c, err := postgres.Start(context.Background(), postgres.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		where = c.Dir()
		if !strings.HasPrefix(where, "/var/lib/webhookd-dev/") {
			t.Errorf("cluster in %s, want it relocated under /var/lib/webhookd-dev", where)
		}
		db, err := sql.Open("postgres", c.DatabaseURL())
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			_, err = db.Exec(`CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)`)
		} else {
			var v int
			err = db.QueryRow(`SELECT v FROM kept`).Scan(&v)
		}
		db.Close()
		c.Close()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	os.RemoveAll(filepath.Dir(where))
}

// Free ports come from below the kernel's ephemeral range, where no
// outgoing connection can take them before the server binds them.
func TestFreePortIsOutsideTheEphemeralRange(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		t.Skip("no ephemeral range to compare with:", err)
	}
	var low int
	if _, err := fmt.Sscan(string(b), &low); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for range 20 {
		p, err := postgres.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if p >= low || p < 1024 {
			t.Fatalf("port %d: want 1024 <= port < %d", p, low)
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			t.Fatalf("port %d is not free: %v", p, err)
		}
		defer l.Close() // held, so the next picks must differ
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
}

// The managed cluster asks for a password: a local user who does not know
// it is refused, and a cluster created when every local connection was
// trusted is upgraded on its next start.
func TestClusterRequiresPassword(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "postgres")
	_ = os.Chmod(filepath.Dir(dir), 0o755)
	ping := func(url string) error {
		db, err := sql.Open("postgres", url)
		if err != nil {
			return err
		}
		defer db.Close()
		return db.Ping()
	}
	for round := 0; round < 2; round++ {
		c, err := postgres.Start(context.Background(), postgres.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if err := ping(c.DatabaseURL()); err != nil {
			t.Errorf("round %d: with the password: %v", round, err)
		}
		noPassword := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port())
		if err := ping(noPassword); err == nil || !strings.Contains(err.Error(), "password") {
			t.Errorf("round %d: without a password: %v, want refused", round, err)
		}
		c.Close()
		// As a cluster initialised with trust and no password file.
		os.Remove(filepath.Join(c.Dir(), "webhookd-superuser.password"))
		os.WriteFile(filepath.Join(c.Dir(), "pg_hba.conf"), []byte("host all all 127.0.0.1/32 trust\n"), 0o600)
	}
}
