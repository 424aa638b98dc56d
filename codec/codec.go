// Package codec is webhookd's payload codec for a team's own Temporal
// worker: a route's child workflow gets its input encrypted (and, from
// 1 KiB, compressed) exactly as webhookd's own runs, with the keys of
// WEBHOOKD_ENCRYPTION_KEYS. A Go worker uses it in two lines:
//
//	dc, fc, err := codec.Converters(os.Getenv("WEBHOOKD_ENCRYPTION_KEYS"))
//	c, err := client.Dial(client.Options{DataConverter: dc, FailureConverter: fc, …})
//
// The format, for a worker in another SDK language, is in docs/handlers.md.
package codec

import (
	"errors"

	"go.temporal.io/sdk/converter"

	icodec "github.com/webhookd/webhookd/internal/codec"
)

// Converters are the data and failure converters of the keys, given as
// WEBHOOKD_ENCRYPTION_KEYS is: comma-separated id:base64 (32 bytes), the
// first encrypting, all decrypting.
func Converters(keys string) (converter.DataConverter, converter.FailureConverter, error) {
	ks, err := icodec.ParseKeys(keys)
	if err != nil {
		return nil, nil, err
	}
	if len(ks) == 0 {
		return nil, nil, errors.New("codec: no key: set WEBHOOKD_ENCRYPTION_KEYS (dev's is in .data/encryption-keys)")
	}
	return icodec.DataConverter(ks)
}
