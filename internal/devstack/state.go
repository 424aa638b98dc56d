package devstack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/config"
)

// State is what `webhookd dev` writes to <data-dir>/dev-state.json so that
// `send`, `events` and `migrate` on the same machine find its ingress,
// database and Temporal with no variables set.
type State struct {
	IngressURL      string `json:"ingress_url"`
	DatabaseURL     string `json:"database_url"`
	TemporalAddress string `json:"temporal_address"`
	TemporalUIURL   string `json:"temporal_ui_url"`
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
