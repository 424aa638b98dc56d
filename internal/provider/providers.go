// Package provider is where each webhook sender is described: how its
// signature is verified (internal/signature), where its envelope keeps the
// event id, type, time and data, and, one file per format, how its real
// events become webhookd's domain events (dodo.go, resend.go, generic.go).
// Providers come from an optional YAML file plus the built-in dodo and
// resend, with secrets from WEBHOOKD_SECRET_<PROVIDER>.
package provider

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/webhookd/webhookd/internal/envfile"
	"github.com/webhookd/webhookd/internal/signature"
)

// Provider is one webhook sender: how to verify it and where its envelope
// keeps the event id, type and time.
type Provider struct {
	Name string `yaml:"name"`
	// Preset fills every field the entry leaves empty with a named
	// provider's settings (presets.go; `webhookd providers` lists them).
	Preset string           `yaml:"preset"`
	Scheme signature.Scheme `yaml:"scheme"`
	// Tolerance of signed timestamps, both directions (default 5m).
	Tolerance time.Duration `yaml:"tolerance"`
	// SignatureHeader for the hmac-hex scheme (default webhook-signature).
	SignatureHeader string `yaml:"signature_header"`
	// SignatureHash of hmac-hex and hmac-base64: sha256 (default) or sha1.
	SignatureHash string `yaml:"signature_hash"`
	// SecretFormat says how WEBHOOKD_SECRET_<NAME> reads (raw, base64,
	// hex, public-key, basic); empty: the scheme's usual one.
	SecretFormat signature.SecretFormat `yaml:"secret_format"`
	// MinSecretLength is the shortest secret accepted (default 8 bytes).
	MinSecretLength int `yaml:"min_secret_length"`
	// Handshake is the provider's URL check answered by the ingress
	// (handshake.go), from the preset.
	Handshake string `yaml:"-"`
	// SvixHeaders makes `webhookd send` use svix-* headers (Resend).
	SvixHeaders bool `yaml:"svix_headers"`
	// AllowIPs lists CIDRs (or single IPs) allowed to post; empty allows all.
	AllowIPs []string `yaml:"allow_ips"`
	// Format turns the provider's events into domain events: dodo, resend,
	// stripe, generic (the shapes of examples/*.json) or none (recorded and
	// routed, never read as payments or email: the default of a provider
	// from the file).
	Format string `yaml:"format"`
	// UserIDKey is the metadata key the app sets at checkout with its user
	// id (default user_id).
	UserIDKey string `yaml:"user_id_metadata_key"`
	// Plans maps the provider's product ids to plan names.
	Plans map[string]string `yaml:"plans"`
	// CreateUsers (default true): an event that names an unknown user by
	// the app's id and carries an address creates that user.
	CreateUsers *bool `yaml:"create_users"`
	// Locations, "header:Name" or "json:dotted.path".
	EventID    string `yaml:"event_id"`
	EventType  string `yaml:"event_type"`
	OccurredAt string `yaml:"occurred_at"`
	Data       string `yaml:"data"`

	// Secrets come from WEBHOOKD_SECRET_<NAME> (comma-separated), never the file.
	Secrets []string `yaml:"-"`
	// Prefixes are the parsed AllowIPs.
	Prefixes []netip.Prefix `yaml:"-"`
	// BuiltIn: one of DevProviders, not replaced by the file.
	BuiltIn bool `yaml:"-"`
	// Routes are the file's routes of this provider.
	Routes []RouteSpec `yaml:"-"`

	verifier *signature.Verifier
}

// BodyHashID as an event_id location makes the event id the hex SHA-256 of
// the signed body (the GitHub default).
const BodyHashID = "sha256:body"

// File is the --config file's shape.
type File struct {
	Providers []Provider `yaml:"providers"`
	// Routes hand events to a team's own workflows (routes.go).
	Routes []Route `yaml:"routes"`
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// SecretEnv is the variable holding a provider's secrets.
func SecretEnv(provider string) string {
	return "WEBHOOKD_SECRET_" + strings.ToUpper(strings.NewReplacer("-", "_").Replace(provider))
}

// DevProviders are built in so `webhookd dev` works with no file.
func DevProviders() []Provider {
	return []Provider{
		{Name: "dodo", Scheme: signature.StandardWebhooks, Format: "dodo", BuiltIn: true},
		{Name: "resend", Scheme: signature.StandardWebhooks, SvixHeaders: true, Format: "resend", BuiltIn: true},
		{Name: "stripe", Scheme: signature.Stripe, Format: "stripe", BuiltIn: true},
	}
}

// withDefaults fills the scheme's usual envelope locations.
func (p Provider) withDefaults() Provider {
	if pr, ok := PresetByName(p.Preset); ok {
		p = pr.apply(p)
	}
	if p.Tolerance == 0 {
		p.Tolerance = signature.DefaultTolerance
	}
	if p.Format == "" {
		// A provider's own events are never read as webhookd's payment or
		// email shapes unless the entry says so: only the built-in
		// providers' names and presets have formats of their own.
		p.Format = "none"
		if builtinFormat(p.Name) != "" {
			p.Format = builtinFormat(p.Name)
		}
	}
	if p.Format == "resend" && p.OccurredAt == "" {
		p.OccurredAt = "json:created_at" // Resend's event time
	}
	def := map[signature.Scheme][4]string{
		signature.StandardWebhooks: {"header:webhook-id", "json:type", "json:timestamp", "json:data"},
		signature.Stripe:           {"json:id", "json:type", "json:created", "json:data.object"},
		// GitHub signs the body only: the delivery id and event type are
		// unsigned headers. The id is a hash of the signed body, so a
		// captured delivery replayed under a new X-GitHub-Delivery is
		// still a duplicate.
		signature.GitHub:  {BodyHashID, "header:X-GitHub-Event", "", "json:"},
		signature.HMACHex: {"json:id", "json:type", "json:created_at", "json:data"},
	}[p.Scheme]
	for i, dst := range []*string{&p.EventID, &p.EventType, &p.OccurredAt, &p.Data} {
		if *dst == "" {
			*dst = def[i]
		}
	}
	if p.Scheme == signature.HMACHex && p.SignatureHeader == "" {
		p.SignatureHeader = "webhook-signature"
	}
	return p
}

// builtinFormat is the format of a built-in provider's name ("" for any
// other name).
func builtinFormat(name string) string {
	switch name {
	case "dodo", "resend", "stripe":
		return name
	}
	return ""
}

// Validate checks one provider; messages name the field at fault.
func (p *Provider) Validate() error {
	if !nameRE.MatchString(p.Name) {
		return fmt.Errorf("provider %q: name must be lower-case letters, digits, - or _ (max 32)", p.Name)
	}
	ok := false
	for _, s := range signature.Schemes() {
		ok = ok || s == p.Scheme
	}
	if !ok {
		names := make([]string, 0, len(signature.Schemes()))
		for _, s := range signature.Schemes() {
			names = append(names, string(s))
		}
		return fmt.Errorf("provider %s: scheme %q: want one of %s (or a preset: webhookd providers)", p.Name, p.Scheme, strings.Join(names, ", "))
	}
	if p.Preset != "" {
		if _, ok := PresetByName(p.Preset); !ok {
			return fmt.Errorf("provider %s: preset %q: unknown (webhookd providers lists them)", p.Name, p.Preset)
		}
	}
	if signature.NeedsHeader(p.Scheme) && p.SignatureHeader == "" {
		return fmt.Errorf("provider %s: scheme %s needs signature_header", p.Name, p.Scheme)
	}
	if p.SignatureHash != "" && p.SignatureHash != signature.HashSHA256 && p.SignatureHash != signature.HashSHA1 {
		return fmt.Errorf("provider %s: signature_hash %q: want sha256 or sha1", p.Name, p.SignatureHash)
	}
	if !slices.Contains(Formats(), p.Format) {
		return fmt.Errorf("provider %s: format %q: want one of %s", p.Name, p.Format, strings.Join(Formats(), ", "))
	}
	if p.Tolerance < 0 {
		return fmt.Errorf("provider %s: tolerance must be positive", p.Name)
	}
	for _, loc := range []struct{ field, v string }{{"event_id", p.EventID}, {"event_type", p.EventType}, {"occurred_at", p.OccurredAt}, {"data", p.Data}} {
		if loc.v != "" && !validLocation(loc.v) && !(loc.field == "event_id" && loc.v == BodyHashID) {
			return fmt.Errorf("provider %s: %s %q: want header:Name, json:path, form:Field or const:value (or %s for event_id)", p.Name, loc.field, loc.v, BodyHashID)
		}
	}
	p.Prefixes = p.Prefixes[:0]
	for _, c := range p.AllowIPs {
		pfx, err := netip.ParsePrefix(c)
		if err != nil {
			addr, aerr := netip.ParseAddr(c)
			if aerr != nil {
				return fmt.Errorf("provider %s: allow_ips %q: not a CIDR or IP", p.Name, c)
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		p.Prefixes = append(p.Prefixes, pfx.Masked())
	}
	for _, s := range p.Secrets {
		if _, err := p.decodeSecret(s); err != nil {
			return fmt.Errorf("%s: %v", SecretEnv(p.Name), err)
		}
	}
	return nil
}

func (p Provider) decodeSecret(s string) ([]byte, error) {
	return signature.DecodeSecretFormat(p.Scheme, p.SecretFormat, p.MinSecretLength, s)
}

// Spec is what the provider's format needs to normalize its events.
func (p Provider) Spec() Spec {
	return Spec{Format: p.Format, UserIDKey: p.UserIDKey, Plans: p.Plans, NoUserCreation: p.CreateUsers != nil && !*p.CreateUsers, Routes: p.Routes}
}

// SpecJSON is Spec as stored with each event.
func (p Provider) SpecJSON() []byte {
	b, _ := json.Marshal(p.Spec())
	return b
}

// Keys decodes the provider's secrets into MAC keys.
func (p Provider) Keys() [][]byte {
	var keys [][]byte
	for _, s := range p.Secrets {
		if k, err := p.decodeSecret(s); err == nil {
			keys = append(keys, k)
		}
	}
	return keys
}

// Verifier returns the provider's signature verifier: the one built when
// the providers were loaded (its secrets decoded once, its keyed MAC states
// kept between requests), or a new one for a Provider built by hand.
func (p Provider) Verifier() *signature.Verifier {
	if p.verifier != nil {
		return p.verifier
	}
	return p.newVerifier()
}

func (p Provider) newVerifier() *signature.Verifier {
	return &signature.Verifier{Scheme: p.Scheme, Secrets: p.Keys(), Tolerance: p.Tolerance, Header: p.SignatureHeader, Hash: p.SignatureHash}
}

// Signer signs as the provider with its first secret.
func (p Provider) Signer() (signature.Signer, error) {
	keys := p.Keys()
	if len(keys) == 0 {
		return signature.Signer{}, fmt.Errorf("%s: no secret for provider %s", SecretEnv(p.Name), p.Name)
	}
	if signature.Asymmetric(p.Scheme) {
		return signature.Signer{}, fmt.Errorf("%s: provider %s signs with a private key (%s); webhookd has its public key only and cannot sign as it", SecretEnv(p.Name), p.Name, p.Scheme)
	}
	return signature.Signer{Scheme: p.Scheme, Secret: keys[0], Header: p.SignatureHeader, Svix: p.SvixHeaders, Hash: p.SignatureHash}, nil
}

// LoadProviders builds the provider set: the built-in providers when
// withDev, then the file's (a file entry replaces a built-in of the same
// name), each with secrets from the environment, or from devSecrets for a
// provider whose variable is unset.
func LoadProviders(path string, withDev bool, getenv func(string) string, devSecrets map[string]string) (map[string]*Provider, error) {
	var list []Provider
	if withDev {
		list = DevProviders()
	}
	var routes []Route
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--config / WEBHOOKD_CONFIG: %w", err)
		}
		var f File
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			return nil, configError{fmt.Errorf("--config / WEBHOOKD_CONFIG %s: %w", path, err)}
		}
		routes = f.Routes
		for _, p := range f.Providers {
			replaced := false
			for i := range list {
				if list[i].Name == p.Name {
					list[i], replaced = p, true
				}
			}
			if !replaced {
				list = append(list, p)
			}
		}
	}
	out := map[string]*Provider{}
	for _, p := range list {
		p := p.withDefaults()
		env, err := envfile.Lookup(getenv, SecretEnv(p.Name))
		if err != nil {
			return nil, err
		}
		if env != "" {
			for _, s := range strings.Split(env, ",") {
				if s = strings.TrimSpace(s); s != "" {
					p.Secrets = append(p.Secrets, s)
				}
			}
		} else if s := devSecrets[p.Name]; s != "" {
			p.Secrets = []string{s}
		}
		if err := p.Validate(); err != nil {
			return nil, configError{err}
		}
		if _, dup := out[p.Name]; dup {
			return nil, configError{fmt.Errorf("--config / WEBHOOKD_CONFIG: provider %s listed twice", p.Name)}
		}
		p.verifier = p.newVerifier()
		out[p.Name] = &p
	}
	return out, attachRoutes(routes, out)
}

// configError is a provider entry or secret webhookd cannot run with: its
// own message, and errors.Is(err, ErrConfig) (exit 2).
type configError struct{ error }

func (e configError) Is(target error) bool { return target == ErrConfig }
func (e configError) Unwrap() error        { return e.error }

// Names lists provider names, sorted.
func Names(ps map[string]*Provider) []string {
	names := make([]string, 0, len(ps))
	for n := range ps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DevSecretsFile is where `webhookd dev` keeps the generated dev secrets.
func DevSecretsFile(dataDir string) string { return filepath.Join(dataDir, "dev-secrets.json") }

// LoadDevSecrets reads the dev secrets of dataDir; a missing file is empty.
func LoadDevSecrets(dataDir string) (map[string]string, error) {
	raw, err := os.ReadFile(DevSecretsFile(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dev secrets: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("dev secrets %s: %w", DevSecretsFile(dataDir), err)
	}
	return m, nil
}

// EnsureDevSecrets generates a standard-webhooks secret for each dev
// provider that has none yet and stores them (mode 0600) in dataDir.
func EnsureDevSecrets(dataDir string) (map[string]string, error) {
	m, err := LoadDevSecrets(dataDir)
	if err != nil {
		return nil, err
	}
	changed := false
	for _, p := range DevProviders() {
		if m[p.Name] != "" {
			continue
		}
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		m[p.Name] = "whsec_" + base64.StdEncoding.EncodeToString(b)
		changed = true
	}
	if changed {
		raw, _ := json.MarshalIndent(m, "", "  ")
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(DevSecretsFile(dataDir), raw, 0o600); err != nil {
			return nil, fmt.Errorf("dev secrets: %w", err)
		}
	}
	return m, nil
}

// Served are the providers of a production ingress: the built-in ones and
// the file's, with secrets from WEBHOOKD_SECRET_<PROVIDER> only. A built-in
// provider whose variable is unset is not served (its deliveries get 404)
// and is named in unset; a file's provider without a secret is an error,
// and so is a set with no provider at all.
func Served(path string, getenv func(string) string) (served map[string]*Provider, unset []string, err error) {
	all, err := LoadProviders(path, true, getenv, nil)
	if err != nil {
		return nil, nil, err
	}
	served = map[string]*Provider{}
	for _, name := range Names(all) {
		p := all[name]
		switch {
		case len(p.Secrets) > 0:
			served[name] = p
		case !p.BuiltIn:
			return nil, nil, fmt.Errorf("%s: required for provider %s of --config / WEBHOOKD_CONFIG %s", SecretEnv(name), name, path)
		default:
			unset = append(unset, SecretEnv(name))
		}
	}
	if len(served) == 0 {
		return nil, nil, fmt.Errorf("no provider has a secret: set %s (built-in providers; or its _FILE variable), or list providers in --config / WEBHOOKD_CONFIG", strings.Join(unset, " or "))
	}
	return served, unset, nil
}

// DevLines are dev's banner rows: name, scheme and secret. A secret is
// shown only when dev generated it: one from the environment is a real
// secret.
func DevLines(providers map[string]*Provider, devSecrets map[string]string) []string {
	var lines []string
	for _, name := range Names(providers) {
		p := providers[name]
		secret := "(no secret: set " + SecretEnv(name) + ")"
		switch {
		case len(p.Secrets) > 0 && p.Secrets[0] == devSecrets[name]:
			secret = p.Secrets[0]
		case len(p.Secrets) > 0:
			secret = "(from " + SecretEnv(name) + ")"
		}
		lines = append(lines, fmt.Sprintf("%-10s %-18s %s", name, p.Scheme, secret))
	}
	return lines
}
