package codec

import (
	"bytes"
	"compress/zlib"
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
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != zlibEncoding {
			out[i] = p
			continue
		}
		r, err := zlib.NewReader(bytes.NewReader(p.Data))
		if err != nil {
			return nil, fmt.Errorf("codec: decompress: %w", err)
		}
		raw, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("codec: decompress: %w", err)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(raw, &dec); err != nil {
			return nil, fmt.Errorf("codec: decompress: %w", err)
		}
		out[i] = &dec
	}
	return out, nil
}
