package config

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/configuration.md's table from the settings")

// docs/configuration.md's table is rendered from the declarations; run
// `go test ./internal/config -run TestReference -update-docs` after
// changing a setting.
func TestReferenceMatchesDocs(t *testing.T) {
	const path = "../../docs/configuration.md"
	const begin, end = "<!-- config-table:begin -->\n", "<!-- config-table:end -->"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %q … %q markers", path, begin, end)
	}
	want := Reference()
	if got := doc[i+len(begin) : j]; got != want {
		if *updateDocs {
			if err := os.WriteFile(path, []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s's table differs from the settings; run with -update-docs.\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestSettingsFromFlagsThenEnvironment(t *testing.T) {
	fs := pflag.NewFlagSet("worker", pflag.ContinueOnError)
	var got Settings
	Bind(fs, Worker, &got)
	if err := fs.Parse([]string{"--temporal-grpc-compression", "none", "--http", ":9999"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TEMPORAL_GRPC_COMPRESSION": "gzip", "WEBHOOKD_RETRY_ATTEMPTS": "9", "WEBHOOKD_HTTP": ":1"}
	if err := Apply(fs, Worker, &got, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if got.TemporalCompression != "none" || got.HTTPAddr != ":9999" || got.RetryAttempts != 9 || got.DispatchAfter.String() != "10s" {
		t.Errorf("settings = %+v: want flags over variables over defaults", got)
	}
}
