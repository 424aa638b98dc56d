// Package store is the only package that holds SQL. It records webhook
// events and applies their effects to PostgreSQL through sqlx and lib/pq.
// Every write is idempotent, and state changes are guarded by the event's
// occurred-at time so that an older event never overwrites newer state.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// Sentinel errors; callers test them with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrUnknownUser = errors.New("unknown user")
	ErrInvalid     = errors.New("invalid data")
)

// Store is webhookd's PostgreSQL database.
type Store struct {
	db *sqlx.DB
}

// Open connects to the database at url (a lib/pq URL or DSN).
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := Connect(url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &Store{db: db}, nil
}

// Connect opens a pool to the database at url, with lib/pq's
// binary_parameters mode on unless the URL sets it: a statement with
// arguments is then one round trip (Parse, Bind and Execute sent
// together) instead of two (the driver otherwise asks for the
// parameters' types first). Every argument webhookd passes is text or a
// number, JSON as a string: a []byte would be sent as binary data.
func Connect(url string) (*sqlx.DB, error) {
	cfg, err := pq.NewConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if !strings.Contains(url, "binary_parameters") {
		cfg.BinaryParameters = true
	}
	conn, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	return sqlx.NewDb(sql.OpenDB(conn), "postgres"), nil
}

// New wraps an open database.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

// DB is the underlying handle (for migrations).
func (s *Store) DB() *sql.DB { return s.db.DB }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// getOne reads the one row q selects into a T; no row is a wrapped
// notFound, naming what.
func getOne[T any](ctx context.Context, db *sqlx.DB, what string, notFound error, q string, args ...any) (T, error) {
	var v T
	err := db.GetContext(ctx, &v, q, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("store: %s: %w", what, notFound)
	}
	if err != nil {
		return v, fmt.Errorf("store: get %s: %w", what, err)
	}
	return v, nil
}

// isClass reports whether err is a PostgreSQL error of one of the SQLSTATE
// classes (the code's first two characters).
func isClass(err error, classes ...string) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	for _, c := range classes {
		if string(pqErr.Code.Class()) == c {
			return true
		}
	}
	return false
}

func isCode(err error, codes ...pqerror.Code) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	for _, c := range codes {
		if pqErr.Code == c {
			return true
		}
	}
	return false
}

// mapUserFK turns a foreign-key violation on user_id into ErrUnknownUser.
func mapUserFK(err error, userID string) error {
	if isCode(err, pqerror.ForeignKeyViolation) {
		return fmt.Errorf("user %q: %w", userID, ErrUnknownUser)
	}
	return mapIndexRow(err)
}

// programLimitExceeded (SQLSTATE 54000) is what PostgreSQL answers for a
// value too large for an index row (a key of a few KiB): the data, not the
// database, is at fault, and a retry cannot help.
const programLimitExceeded = pqerror.Code("54000")

// mapIndexRow turns a value too large for its index into ErrInvalid.
func mapIndexRow(err error) error {
	if isCode(err, programLimitExceeded) {
		return fmt.Errorf("%w: a value too large for its index: %v", ErrInvalid, err)
	}
	return err
}
