//go:build smoke

package smoke

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// certs are the PEM files of a test CA, the certificate Temporal's
// services present (to clients and to each other) and webhookd's client
// certificate.
type certs struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

// newCerts writes a CA and two certificates it signs into dir.
func newCerts(t *testing.T, dir string) certs {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "webhookd smoke CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, IsCA: true, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	c := certs{ca: filepath.Join(dir, "ca.pem")}
	writePEM(t, c.ca, "CERTIFICATE", caDER)
	issue := func(name string, serial int64, usage ...x509.ExtKeyUsage) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			DNSNames: []string{"localhost", name}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		certFile, keyFile := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
		writePEM(t, certFile, "CERTIFICATE", der)
		writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
		return certFile, keyFile
	}
	c.serverCert, c.serverKey = issue("temporal", 2, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
	c.clientCert, c.clientKey = issue("webhookd", 3, x509.ExtKeyUsageClientAuth)
	return c
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// serverEnv is the TLS configuration of the temporalio/server image's
// config template: mutual TLS on the frontend and between the services.
func (c certs) serverEnv() []string {
	return []string{
		"TEMPORAL_TLS_REQUIRE_CLIENT_AUTH=true",
		"TEMPORAL_TLS_SERVER_CA_CERT=" + c.ca, "TEMPORAL_TLS_SERVER_CERT=" + c.serverCert, "TEMPORAL_TLS_SERVER_KEY=" + c.serverKey,
		"TEMPORAL_TLS_FRONTEND_CERT=" + c.serverCert, "TEMPORAL_TLS_FRONTEND_KEY=" + c.serverKey,
		"TEMPORAL_TLS_CLIENT1_CA_CERT=" + c.ca, "TEMPORAL_TLS_CLIENT2_CA_CERT=" + c.ca,
		"TEMPORAL_TLS_INTERNODE_SERVER_NAME=localhost", "TEMPORAL_TLS_FRONTEND_SERVER_NAME=localhost",
	}
}
