package main

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/devstack"
)

func runCLI(args []string, env map[string]string) (string, string, error) {
	var out, errOut syncBuffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestHelpExitsZeroAndNamesVariables(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"dev", "--help"}, {"ingress", "-h"}, {"worker", "--help"},
		{"events", "--help"}, {"events", "list", "--help"}, {"send", "--help"}, {"migrate", "--help"}, {"migrate", "up", "--help"}, {"completion", "--help"}} {
		out, _, err := runCLI(args, nil)
		if err != nil || exitCode(err) == 2 {
			t.Errorf("%v: error %v, want help and exit 0", args, err)
		}
		if !strings.Contains(out, "Usage:") {
			t.Errorf("%v: no usage in %q", args, out)
		}
	}
	for _, cmd := range []string{config.Dev, config.Ingress, config.Worker, config.Send, config.Events, config.Migrate} {
		out, _, _ := runCLI([]string{cmd, "--help"}, nil)
		for _, st := range config.Table {
			for _, c := range st.Cmds {
				if c == cmd && !strings.Contains(out, "(env "+st.Env+")") {
					t.Errorf("%s --help: --%s does not name %s", cmd, st.Flag, st.Env)
				}
			}
		}
	}
	if out, _, err := runCLI([]string{"completion", "bash"}, nil); err != nil || !strings.Contains(out, "bash completion") {
		t.Errorf("completion bash: %v\n%.200s", err, out)
	}
	if out, _, _ := runCLI([]string{"events", "show", "--help"}, nil); !strings.Contains(out, "(env DATABASE_URL)") {
		t.Errorf("events show --help lacks the group's settings:\n%s", out)
	}
	if out, _, _ := runCLI([]string{"worker", "--help"}, nil); !strings.Contains(out, "'events show'") {
		t.Errorf("--temporal-ui-url help lost its quotes:\n%s", out)
	}
}

// Validation happens before anything starts and names the flag and the
// variable, whichever of the two gave the value.
func TestSettingErrorsNameFlagAndVariable(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{args: []string{"ingress", "--trusted-proxies", "notacidr"}, want: `--trusted-proxies / WEBHOOKD_TRUSTED_PROXIES: "notacidr" is not a CIDR or IP`},
		{args: []string{"ingress"}, env: map[string]string{"WEBHOOKD_BODY_LIMIT": "abc"}, want: `--body-limit / WEBHOOKD_BODY_LIMIT: "abc" is not a whole number`},
		{args: []string{"worker", "--resend-api-key", "re_x"}, env: map[string]string{"SMTP_URL": "smtp://localhost:25"}, want: `--resend-api-key / RESEND_API_KEY: set either this or --smtp-url / SMTP_URL, not both`},
		{args: []string{"worker", "--smtp-url", "ftp://x"}, want: `--smtp-url / SMTP_URL: scheme "ftp": want smtp or smtps`},
		{args: []string{"dev"}, env: map[string]string{"WEBHOOKD_TEMPORAL_STORE": "mysql"}, want: `--temporal-store / WEBHOOKD_TEMPORAL_STORE: "mysql": want one of sqlite, postgres`},
		{args: []string{"ingress", "--config", "/nonexistent.yaml"}, want: `--config / WEBHOOKD_CONFIG: "/nonexistent.yaml": no such file or directory`},
		{args: []string{"dev", "--ui-port", "99999"}, want: `--ui-port / WEBHOOKD_UI_PORT: 99999 is not a port (0-65535)`},
		{args: []string{"worker", "--retry-initial-interval", "-1s"}, want: `--retry-initial-interval / WEBHOOKD_RETRY_INITIAL_INTERVAL: must be positive, got -1s`},
		{args: []string{"worker"}, env: map[string]string{"WEBHOOKD_DISPATCH_AFTER": "soon"}, want: `--dispatch-after / WEBHOOKD_DISPATCH_AFTER: "soon" is not a duration`},
		{args: []string{"worker", "--log-level", "loud"}, want: `--log-level / LOG_LEVEL: "loud": want one of debug, info, warn, error`},
		{args: []string{"ingress", "--temporal-grpc-compression", "zstd"}, want: `--temporal-grpc-compression / TEMPORAL_GRPC_COMPRESSION: "zstd": want one of gzip, none`},
		{args: []string{"ingress", "--http", "8080"}, want: `--http / WEBHOOKD_HTTP: "8080": want host:port`},
		{args: []string{"events", "list", "--status", "bogus"}, want: `--status: "bogus" is not a status: want one of received, dispatched, succeeded, failed, ignored`},
		{args: []string{"events", "replay"}, want: `events replay needs an ID, or --status failed`},
		{args: []string{"dev", "stray"}, want: `unknown command "stray"`},
		{args: []string{"events"}, want: `events needs a subcommand`},
		{args: []string{"nope"}, want: `unknown command "nope"`},
		{args: []string{"worker", "--no-such-flag"}, want: `unknown flag: --no-such-flag`},
	} {
		_, _, err := runCLI(tc.args, tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: error %v, want %q", tc.args, tc.env, err, tc.want)
		}
		if exitCode(err) != 2 {
			t.Errorf("%v %v: exit %d, want 2", tc.args, tc.env, exitCode(err))
		}
	}
}

// Commands run by hand say how to reach dev when it is not running.
func TestEventsWithoutDevSaysSo(t *testing.T) {
	dir := t.TempDir()
	_, _, err := runCLI([]string{"events", "list", "--data-dir", dir}, nil)
	if err == nil || !strings.Contains(err.Error(), "no webhookd dev on "+dir) || !strings.Contains(err.Error(), "make dev") {
		t.Errorf("no dev state: %v", err)
	}
	port := freePort(t)
	os.WriteFile(devstack.StateFile(dir), []byte(`{"database_url":"postgres://u@127.0.0.1:`+strconv.Itoa(port)+`/x?sslmode=disable&connect_timeout=2"}`), 0o600)
	_, _, err = runCLI([]string{"events", "list", "--data-dir", dir}, nil)
	if err == nil || !strings.Contains(err.Error(), "dev-state.json says 127.0.0.1:"+strconv.Itoa(port)+", which does not answer") {
		t.Errorf("dev stopped: %v", err)
	}
	if errors.Is(err, errUsage) {
		t.Errorf("dev stopped is not a usage error")
	}
}
