package devstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/store"
)

// State is what `webhookd dev` writes to <data-dir>/dev-state.json so that
// `send`, `events` and `migrate` on the same machine find its ingress,
// database and Temporal with no variables set.
type State struct {
	IngressURL      string `json:"ingress_url"`
	DatabaseURL     string `json:"database_url"`
	TemporalAddress string `json:"temporal_address"`
	TemporalUIURL   string `json:"temporal_ui_url"`
	APIURL          string `json:"api_url,omitempty"`
}

// StateFile is where dev's state is kept.
func StateFile(dataDir string) string { return filepath.Join(dataDir, "dev-state.json") }

// WriteState records a running dev's addresses.
func WriteState(dataDir string, st State) error {
	b, _ := json.MarshalIndent(st, "", "  ")
	return os.WriteFile(StateFile(dataDir), b, 0o600)
}

// ReadState reads the state of a dev stack in dataDir.
func ReadState(dataDir string) (State, bool) {
	var st State
	raw, err := os.ReadFile(StateFile(dataDir))
	if err != nil || json.Unmarshal(raw, &st) != nil {
		return State{}, false
	}
	return st, true
}

// KeyFile keeps dev's payload encryption key, like its signing secrets.
func KeyFile(dataDir string) string { return filepath.Join(dataDir, "encryption-keys") }

// ReadKey is dev's key, if it has made one.
func ReadKey(dataDir string) (string, bool) {
	b, err := os.ReadFile(KeyFile(dataDir))
	return strings.TrimSpace(string(b)), err == nil
}

// EncryptionKey returns dev's key, generating it on first use.
func EncryptionKey(dataDir string) (string, error) {
	if key, ok := ReadKey(dataDir); ok {
		return key, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	key := codec.NewKey("dev-1")
	if err := os.WriteFile(KeyFile(dataDir), []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("dev encryption key: %w", err)
	}
	return key, nil
}

// APITokenFile keeps dev's management API token.
func APITokenFile(dataDir string) string { return filepath.Join(dataDir, "api-token") }

// APIToken returns dev's management API token, generating it on first use.
func APIToken(dataDir string) (string, error) {
	if b, err := os.ReadFile(APITokenFile(dataDir)); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	buf := make([]byte, 24)
	_, _ = rand.Read(buf)
	token := "whapi_" + hex.EncodeToString(buf)
	if err := os.WriteFile(APITokenFile(dataDir), []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("dev API token: %w", err)
	}
	return token, nil
}

// APITokens gives dev's settings its API token when WEBHOOKD_API_TOKENS
// names none, and says where the tokens come from.
func APITokens(s *config.Settings) (string, error) {
	if s.APITokens != "" {
		return "tokens from WEBHOOKD_API_TOKENS", nil
	}
	token, err := APIToken(s.DataDir)
	if err != nil {
		return "", err
	}
	s.APITokens = token
	return "token " + token + " (kept in " + APITokenFile(s.DataDir) + ")", nil
}

// Attach fills what the environment and flags left unset from a
// dev stack's state file, if there is one, and reports whether it did.
func Attach(s *config.Settings, getenv func(string) string) bool {
	if s.DatabaseURL != "" || s.DataDir == "" {
		return false
	}
	st, ok := ReadState(s.DataDir)
	if !ok {
		return false
	}
	s.DatabaseURL = st.DatabaseURL
	if key, ok := ReadKey(s.DataDir); ok && s.EncryptionKeys == "" {
		s.EncryptionKeys = key
	}
	if getenv("TEMPORAL_ADDRESS") == "" && st.TemporalAddress != "" {
		s.TemporalAddress = st.TemporalAddress
	}
	if getenv("TEMPORAL_UI_URL") == "" && st.TemporalUIURL != "" {
		s.TemporalUIURL = st.TemporalUIURL
	}
	return true
}

// OpenStore opens the database for a command run by hand (events,
// migrate): DATABASE_URL, else that of the dev stack in the data dir. It
// checks the database answers, and says what to do when it does not.
func OpenStore(ctx context.Context, s *config.Settings, getenv func(string) string) (*store.Store, error) {
	fromDev := Attach(s, getenv)
	if s.DatabaseURL == "" {
		return nil, fmt.Errorf("no webhookd dev on %s (no dev-state.json) and no --database-url / DATABASE_URL: start `make dev` or set DATABASE_URL", s.DataDir)
	}
	st, err := store.Open(ctx, s.DatabaseURL)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := st.Ping(pctx); err != nil {
		st.Close()
		if fromDev {
			return nil, fmt.Errorf("no webhookd dev on %s (dev-state.json says %s, which does not answer): start `make dev` or set DATABASE_URL", s.DataDir, hostOf(s.DatabaseURL))
		}
		return nil, fmt.Errorf("--database-url / DATABASE_URL %s: %w", config.RedactURL(s.DatabaseURL), err)
	}
	return st, nil
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return config.RedactURL(raw)
}
