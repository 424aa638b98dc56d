package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/workflows"
)

// setup creates a missing namespace and registers the attributes, a second
// run changes nothing, and an attribute of another type stops it with what
// to do.
func TestSetup(t *testing.T) {
	ctx := context.Background()
	tmp, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{DatabaseFile: filepath.Join(pgtest.TempDir(t), "t.sqlite"), Port: freePort(t), UIPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Stop()
	env := map[string]string{"TEMPORAL_ADDRESS": tmp.Address(), "TEMPORAL_NAMESPACE": "payments", "LOG_LEVEL": "info"}
	setup := func() (string, error) {
		var out strings.Builder
		err := run(ctx, []string{"setup", "--timeout", "60s"}, func(k string) string { return env[k] }, &out, &out)
		return out.String(), err
	}
	out, err := setup()
	if err != nil || !strings.Contains(out, "created namespace payments") || !strings.Contains(out, "registered WebhookCustomerID, WebhookEventType, WebhookProvider, WebhookUserID") {
		t.Fatalf("first setup: %v\n%s", err, out)
	}
	out, err = setup()
	if err != nil || strings.Contains(out, "created") || strings.Contains(out, "registered") || !strings.Contains(out, "temporal ready for webhookd") {
		t.Fatalf("second setup: %v\n%s", err, out)
	}
	tc, err := dialTemporal(&config.Settings{TemporalAddress: tmp.Address(), TemporalNamespace: "default"}, newLogger(&strings.Builder{}, "error"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, err := tc.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: "default",
		SearchAttributes: map[string]enumspb.IndexedValueType{workflows.UserIDKey.GetName(): enumspb.INDEXED_VALUE_TYPE_TEXT}}); err != nil {
		t.Fatal(err)
	}
	env["TEMPORAL_NAMESPACE"] = "default"
	out, err = setup()
	if err == nil || !strings.Contains(err.Error(), "WebhookUserID is registered as Text") {
		t.Fatalf("setup over a Text attribute: %v\n%s", err, out)
	}
}
