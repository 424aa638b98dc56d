// Package codec keeps customer data out of Temporal's storage: a payload
// codec that compresses (zlib, when it pays) and then encrypts (AES-256-GCM)
// every payload a webhookd client or worker sends to Temporal, and the codec
// server that lets the Temporal UI decrypt them for engineers.
//
// Keys come from WEBHOOKD_ENCRYPTION_KEYS, "id:base64key,…": the first key
// encrypts, every key decrypts, so a new key is added in front, and an old
// one is dropped only once no run it encrypted is kept (Temporal's
// retention). Each encrypted payload names its key id in its metadata. A
// payload that is not this codec's encoding passes through unchanged, so
// runs recorded before encryption was turned on stay readable.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// Encoding is the payload encoding of an encrypted payload.
	Encoding = "binary/encrypted"
	// KeyIDKey is the metadata key naming the key that encrypted it.
	KeyIDKey = "encryption-key-id"
	// Cipher names the algorithm, for whoever reads the payload elsewhere.
	CipherKey = "encryption-cipher"
	cipherAES = "AES256-GCM"
)

// Key is one AES-256 key and its id.
type Key struct {
	ID   string
	aead cipher.AEAD
}

// ParseKeys reads "id:base64key,…" (standard or URL base64 of 32 bytes).
// Empty text is no keys: encryption off.
func ParseKeys(text string) ([]Key, error) {
	var keys []Key
	seen := map[string]bool{}
	for _, item := range strings.Split(text, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		id, b64, ok := strings.Cut(item, ":")
		if !ok || id == "" || b64 == "" {
			return nil, fmt.Errorf("key %q: want id:base64key", redact(item))
		}
		if seen[id] {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		seen[id] = true
		raw, err := decode(b64)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("key %q: want 32 bytes in base64 (openssl rand -base64 32)", id)
		}
		k, err := newKey(id, raw)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func decode(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// redact keeps a malformed entry's id, never its key material.
func redact(item string) string {
	if id, _, ok := strings.Cut(item, ":"); ok {
		return id + ":…"
	}
	return "…"
}

func newKey(id string, raw []byte) (Key, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return Key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: id, aead: aead}, nil
}

// NewKey makes a new random key (dev keeps one in its data dir), as
// "id:base64key".
func NewKey(id string) string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	return id + ":" + base64.StdEncoding.EncodeToString(raw)
}

// Encryption is the AES-256-GCM payload codec.
type Encryption struct {
	keys []Key
}

// NewEncryption returns the codec of keys; the first encrypts.
func NewEncryption(keys []Key) (*Encryption, error) {
	if len(keys) == 0 {
		return nil, errors.New("codec: no encryption key")
	}
	return &Encryption{keys: keys}, nil
}

// Encode encrypts each payload (its whole protobuf: metadata and data) with
// the first key; the key id is the additional data, so a payload cannot be
// passed off as another key's.
func (e *Encryption) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	k := e.keys[0]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: %w", err)
		}
		nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("codec: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				KeyIDKey:                   []byte(k.ID),
				CipherKey:                  []byte(cipherAES),
			},
			Data: k.aead.Seal(nonce, nonce, plain, []byte(k.ID)),
		}
	}
	return out, nil
}

// Decode decrypts the payloads this codec encrypted and passes every other
// one through. A payload of an unknown key id, or one that does not
// authenticate, is an error naming the key id: never garbage.
func (e *Encryption) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[KeyIDKey])
		k, ok := e.key(id)
		if !ok {
			return nil, fmt.Errorf("codec: payload encrypted with key id %q, which is not in WEBHOOKD_ENCRYPTION_KEYS", id)
		}
		n := k.aead.NonceSize()
		if len(p.Data) < n+k.aead.Overhead() {
			return nil, fmt.Errorf("codec: payload of key id %q is truncated", id)
		}
		plain, err := k.aead.Open(nil, p.Data[:n], p.Data[n:], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("codec: payload of key id %q does not decrypt (tampered, or another key of that id)", id)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, fmt.Errorf("codec: payload of key id %q: %w", id, err)
		}
		out[i] = &dec
	}
	return out, nil
}

func (e *Encryption) key(id string) (Key, bool) {
	for _, k := range e.keys {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// Codecs is the chain every webhookd client, worker and the codec server
// use: compression inside encryption (a payload of 1 KiB or more is
// compressed first, when that makes it smaller, then encrypted).
func Codecs(keys []Key) ([]converter.PayloadCodec, error) {
	enc, err := NewEncryption(keys)
	if err != nil {
		return nil, err
	}
	return []converter.PayloadCodec{enc, newCompression()}, nil
}

// DataConverter is the SDK's default converter with Codecs; failures'
// messages and stack traces are encoded too (an error can quote an
// address).
func DataConverter(keys []Key) (converter.DataConverter, converter.FailureConverter, error) {
	codecs, err := Codecs(keys)
	if err != nil {
		return nil, nil, err
	}
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codecs...)
	fc := temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
	return dc, encodingFailures{fc, dc}, nil
}

// encodingFailures makes sure every failure it hands Temporal has its
// message and stack trace encoded, at every level of its causes, and that
// decoding one never changes it. The SDK's converter encodes a new error's
// failure, but decodes a failure in place, and an error decoded from a
// failure carries that failure back out as it is: a local activity's
// failure message (a customer's data quoted in it) reached the history in
// the clear.
// encodedMessage is the message the SDK leaves on an encoded failure.
const encodedMessage = "Encoded failure"

type encodingFailures struct {
	converter.FailureConverter
	dc converter.DataConverter
}

// FailureToError decodes a copy: the SDK decodes a failure in place, and a
// local activity's marker failure is the same object as the one its
// RecordMarker command sends, which would then reach the history decoded.
func (e encodingFailures) FailureToError(f *failurepb.Failure) error {
	if f == nil {
		return nil
	}
	return e.FailureConverter.FailureToError(proto.Clone(f).(*failurepb.Failure))
}

func (e encodingFailures) ErrorToFailure(err error) *failurepb.Failure {
	f := e.FailureConverter.ErrorToFailure(err)
	if f == nil {
		return nil
	}
	f = proto.Clone(f).(*failurepb.Failure)
	for cur := f; cur != nil; cur = cur.Cause {
		// A decoded failure keeps its encoded attributes beside the
		// message in the clear: encoded again.
		if cur.EncodedAttributes == nil || cur.Message != encodedMessage || cur.StackTrace != "" {
			if err := converter.EncodeCommonFailureAttributes(e.dc, cur); err != nil {
				cur.Message, cur.StackTrace = "failure not encoded: "+err.Error(), ""
			}
		}
	}
	return f
}
