package runs

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/webhookd/webhookd/internal/config"
)

// frontend answers GetSystemInfo, the call a client makes first.
type frontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
}

func (frontend) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{ServerVersion: "test"}, nil
}

// selfSigned is a certificate for 127.0.0.1 and its PEM.
func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "temporal-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// A client built from Temporal's own variables (TEMPORAL_API_KEY, the
// server's CA) speaks TLS and sends the API key as a bearer token on every
// call: a gRPC interceptor of a TLS-only test frontend checks it.
func TestDialWithAPIKey(t *testing.T) {
	cert, caPEM := selfSigned(t)
	var mu sync.Mutex
	var seen []string
	check := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		mu.Lock()
		seen = append(seen, md.Get("authorization")...)
		mu.Unlock()
		if auth := md.Get("authorization"); len(auth) != 1 || auth[0] != "Bearer test-api-key" {
			return nil, status.Error(codes.Unauthenticated, "no valid API key")
		}
		return handler(ctx, req)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewServerTLSFromCert(&cert)), grpc.UnaryInterceptor(check))
	workflowservice.RegisterWorkflowServiceServer(srv, frontend{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Stop()

	dial := func(apiKey string) error {
		env := map[string]string{"TEMPORAL_ADDRESS": l.Addr().String(), "TEMPORAL_API_KEY": apiKey,
			"TEMPORAL_TLS_SERVER_CA_CERT_DATA": string(caPEM), "TEMPORAL_CONFIG_FILE": t.TempDir() + "/none.toml"}
		fs := pflag.NewFlagSet("worker", pflag.ContinueOnError)
		var s config.Settings
		config.Bind(fs, config.Worker, &s)
		if err := config.Apply(fs, config.Worker, &s, func(k string) string { return env[k] }); err != nil {
			t.Fatal(err)
		}
		opts, err := s.TemporalClientOptions()
		if err != nil {
			t.Fatal(err)
		}
		c, err := Dial(DialOptions{Client: opts, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// A lazy client connects on its first call.
		_, err = c.WorkflowService().GetSystemInfo(ctx, &workflowservice.GetSystemInfoRequest{})
		return err
	}
	if err := dial("test-api-key"); err != nil {
		t.Fatalf("with the API key: %v", err)
	}
	mu.Lock()
	if len(seen) == 0 {
		t.Error("the frontend saw no authorization header")
	}
	mu.Unlock()
	if err := dial("wrong-key"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("with a wrong API key: %v, want Unauthenticated", err)
	}
}
