package codec_test

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/webhookd/webhookd/internal/codec"
)

func keys(t *testing.T, text string) []codec.Key {
	t.Helper()
	k, err := codec.ParseKeys(text)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var (
	k1 = codec.NewKey("k1")
	k2 = codec.NewKey("k2")
)

func roundTrip(t *testing.T, enc, dec []codec.Key, v any) (*commonpb.Payload, error) {
	t.Helper()
	dcEnc, _, err := codec.DataConverter(enc)
	if err != nil {
		t.Fatal(err)
	}
	p, err := dcEnc.ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	dcDec, _, _ := codec.DataConverter(dec)
	var got map[string]string
	if err := dcDec.FromPayload(p, &got); err != nil {
		return p, err
	}
	if got["email"] != "secret-customer@example.com" {
		t.Errorf("decoded %v", got)
	}
	return p, nil
}

func TestRoundTripAndRotation(t *testing.T) {
	v := map[string]string{"email": "secret-customer@example.com", "pad": strings.Repeat("x", 4096)}
	p, err := roundTrip(t, keys(t, k1), keys(t, k1), v)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Data, []byte("secret-customer")) || string(p.Metadata["encryption-key-id"]) != "k1" || string(p.Metadata["encoding"]) != codec.Encoding {
		t.Errorf("payload not encrypted with k1: %v", p.Metadata)
	}
	if len(p.Data) > 1024 {
		t.Errorf("payload of %d bytes: not compressed before encryption", len(p.Data))
	}
	// Rotation: k2 in front encrypts; k1's payloads still decode.
	if _, err := roundTrip(t, keys(t, k1), keys(t, k2+","+k1), v); err != nil {
		t.Errorf("k1 payload with keys k2,k1: %v", err)
	}
	p2, err := roundTrip(t, keys(t, k2+","+k1), keys(t, k2+","+k1), v)
	if err != nil || string(p2.Metadata["encryption-key-id"]) != "k2" {
		t.Errorf("after rotation: key %s, %v", p2.Metadata["encryption-key-id"], err)
	}
}

func TestUnknownKeyAndTampering(t *testing.T) {
	v := map[string]string{"email": "secret-customer@example.com"}
	if _, err := roundTrip(t, keys(t, k2), keys(t, k1), v); err == nil || !strings.Contains(err.Error(), `key id "k2"`) {
		t.Errorf("unknown key: %v", err)
	}
	enc, _ := codec.NewEncryption(keys(t, k1))
	ps, _ := enc.Encode([]*commonpb.Payload{{Data: []byte("x")}})
	ps[0].Data[len(ps[0].Data)-1] ^= 1
	if _, err := enc.Decode(ps); err == nil || !strings.Contains(err.Error(), "does not decrypt") {
		t.Errorf("tampered: %v", err)
	}
	// Another key's id on a payload: the id is authenticated too.
	ps, _ = enc.Encode([]*commonpb.Payload{{Data: []byte("x")}})
	other := strings.Replace(k2, "k2:", "k1:", 1)
	enc2, _ := codec.NewEncryption(keys(t, other))
	if _, err := enc2.Decode(ps); err == nil {
		t.Error("a payload decrypted with another key of the same id")
	}
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	plain, _ := converter.GetDefaultDataConverter().ToPayload(map[string]string{"email": "secret-customer@example.com"})
	dc, _, _ := codec.DataConverter(keys(t, k1))
	var got map[string]string
	if err := dc.FromPayload(plain, &got); err != nil || got["email"] != "secret-customer@example.com" {
		t.Errorf("plain payload: %v %v", got, err)
	}
}

func TestParseKeys(t *testing.T) {
	for _, bad := range []string{"k1", "k1:", ":abc", "k1:bm90IDMyIGJ5dGVz", k1 + "," + k1} {
		if _, err := codec.ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "bm90") {
			t.Errorf("error shows key material: %v", err)
		}
	}
	if ks, err := codec.ParseKeys(""); err != nil || len(ks) != 0 {
		t.Errorf("empty: %v %v", ks, err)
	}
}

func TestServer(t *testing.T) {
	h, err := codec.Server(keys(t, k1), codec.ServerOptions{Token: "t0ken", Origins: []string{"http://ui.example"}, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/codec", h))
	defer srv.Close()
	enc, _ := codec.NewEncryption(keys(t, k1))
	p, _ := converter.GetDefaultDataConverter().ToPayload("secret-customer@example.com")
	ps, _ := enc.Encode([]*commonpb.Payload{p})
	body, _ := json.Marshal(&commonpb.Payloads{Payloads: ps})
	post := func(path, token, ns string, body []byte) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Origin", "http://ui.example")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if ns != "" {
			req.Header.Set("X-Namespace", ns)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp, b.String()
	}
	resp, out := post("/codec/decode", "t0ken", "default", body)
	if resp.StatusCode != 200 || !strings.Contains(out, "InNlY3JldC1jdXN0b21lckBleGFtcGxlLmNvbSI") || resp.Header.Get("Access-Control-Allow-Origin") != "http://ui.example" {
		t.Errorf("decode: %d %s", resp.StatusCode, out)
	}
	if resp, _ := post("/codec/decode", "", "", body); resp.StatusCode != 401 {
		t.Errorf("without token: %d", resp.StatusCode)
	}
	if resp, _ := post("/codec/decode", "wrong", "", body); resp.StatusCode != 401 {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
	if resp, _ := post("/codec/decode", "t0ken", "other", body); resp.StatusCode != 403 {
		t.Errorf("other namespace: %d", resp.StatusCode)
	}
	if resp, _ := post("/codec/decode", "t0ken", "", []byte("{not json")); resp.StatusCode != 400 {
		t.Errorf("malformed: %d", resp.StatusCode)
	}
	other, _ := codec.NewEncryption(keys(t, k2))
	ps2, _ := other.Encode([]*commonpb.Payload{p})
	b2, _ := json.Marshal(&commonpb.Payloads{Payloads: ps2})
	if resp, out := post("/codec/decode", "t0ken", "", b2); resp.StatusCode != 400 || !strings.Contains(out, `key id \"k2\"`) && !strings.Contains(out, `key id "k2"`) {
		t.Errorf("unknown key: %d %s", resp.StatusCode, out)
	}
	// The UI's preflight.
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/codec/decode", nil)
	req.Header.Set("Origin", "http://ui.example")
	pre, err := http.DefaultClient.Do(req)
	if err != nil || pre.StatusCode != 204 || !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %v %v", pre.StatusCode, err)
	}
}

// A zlib bomb stops at the inflate bound: one payload past MaxInflate, or
// several each under it but past MaxInflateRequest together, get 413, and
// the server's memory never holds the inflated whole.
func TestServerRefusesDecompressionBombs(t *testing.T) {
	h, err := codec.Server(keys(t, k1), codec.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	zlibPayload := func(n int) *commonpb.Payload {
		inner, _ := proto.Marshal(&commonpb.Payload{Data: bytes.Repeat([]byte{'a'}, n)})
		var buf bytes.Buffer
		w := zlib.NewWriter(&buf)
		w.Write(inner)
		w.Close()
		return &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte("binary/zlib")}, Data: buf.Bytes()}
	}
	post := func(ps ...*commonpb.Payload) int {
		body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/decode", bytes.NewReader(body)))
		return w.Code
	}
	if got := post(zlibPayload(1 << 20)); got != 200 {
		t.Errorf("1 MiB payload: %d, want 200", got)
	}
	if got := post(zlibPayload(codec.MaxInflate + 1)); got != 413 {
		t.Errorf("payload inflating past MaxInflate: %d, want 413", got)
	}
	var many []*commonpb.Payload
	for range codec.MaxInflateRequest/(codec.MaxInflate/2) + 1 {
		many = append(many, zlibPayload(codec.MaxInflate/2))
	}
	if got := post(many...); got != 413 {
		t.Errorf("payloads inflating past MaxInflateRequest together: %d, want 413", got)
	}
}

func BenchmarkEncodeDecode(b *testing.B) {
	for _, size := range []int{200, 2048} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			dc, _, _ := codec.DataConverter(keys(&testing.T{}, k1))
			v := map[string]string{"email": "secret-customer@example.com", "pad": strings.Repeat("x", size)}
			b.ReportAllocs()
			for b.Loop() {
				p, _ := dc.ToPayload(v)
				var out map[string]string
				_ = dc.FromPayload(p, &out)
			}
		})
	}
}
