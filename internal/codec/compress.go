package codec

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"sync"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// zlibEncoding is the SDK's zlib codec's encoding (converter.NewZlibCodec):
// payloads this codec compresses, that one decodes, and the other way round.
const zlibEncoding = "binary/zlib"

// compressMin is the size under which a payload is not compressed: most of
// a run's payloads are small (ids, statuses), where zlib saves little and
// costs a writer's setup each time.
const compressMin = 1024

// MaxInflate bounds what one compressed payload may inflate to, and
// MaxInflateRequest what all of one codec server request's payloads may:
// webhookd's own payloads (an event body is at most a few MiB) stay far
// below both; a zlib bomb stops at the bound.
const (
	MaxInflate        = 8 << 20
	MaxInflateRequest = 32 << 20
)

// runInflate bounds a payload a client or worker inflates: its own
// payloads, written by webhookd, never near it.
const runInflate = 64 << 20

// ErrTooLarge: a payload inflates past MaxInflate, or a request's
// payloads past MaxInflateRequest.
var ErrTooLarge = errors.New("codec: payload inflates past the limit")

// compression is the SDK's zlib payload format with pooled writers, for
// payloads of at least compressMin bytes, kept only when smaller.
type compression struct {
	writers sync.Pool
}

func newCompression() *compression {
	return &compression{writers: sync.Pool{New: func() any {
		w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
		return w
	}}}
}

func (c *compression) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		out[i] = p
		if len(p.GetData()) < compressMin {
			continue
		}
		raw, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: %w", err)
		}
		var buf bytes.Buffer
		w := c.writers.Get().(*zlib.Writer)
		w.Reset(&buf)
		_, err = w.Write(raw)
		if err == nil {
			err = w.Close()
		}
		c.writers.Put(w)
		if err != nil {
			return nil, fmt.Errorf("codec: compress: %w", err)
		}
		if buf.Len() < len(raw) {
			out[i] = &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(zlibEncoding)}, Data: buf.Bytes()}
		}
	}
	return out, nil
}

func (c *compression) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return c.decode(payloads, nil)
}

// decode inflates each zlib payload; with left set (the codec server) up
// to MaxInflate bytes each, charging what it inflates to *left; past a
// bound, ErrTooLarge.
func (c *compression) decode(payloads []*commonpb.Payload, left *int64) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != zlibEncoding {
			out[i] = p
			continue
		}
		limit := int64(runInflate)
		if left != nil {
			limit = min(MaxInflate, *left)
		}
		raw, err := inflate(p.Data, limit)
		if err != nil {
			return nil, err
		}
		if left != nil {
			*left -= int64(len(raw))
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(raw, &dec); err != nil {
			return nil, fmt.Errorf("codec: decompress: %w", err)
		}
		out[i] = &dec
	}
	return out, nil
}

// inflate reads at most limit bytes out of zlib data; more is ErrTooLarge.
func inflate(data []byte, limit int64) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("codec: decompress: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("codec: decompress: %w", err)
	}
	if int64(len(raw)) > limit {
		return nil, ErrTooLarge
	}
	return raw, nil
}
