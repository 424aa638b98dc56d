package main

import (
	"io"
	"strings"
	"testing"
)

func TestTemporalCompressionSetting(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		env     map[string]string
		want    string
		wantErr string
	}{
		{want: "gzip"},
		{args: []string{"--temporal-grpc-compression", "none"}, want: "none"},
		{env: map[string]string{"TEMPORAL_GRPC_COMPRESSION": "none"}, want: "none"},
		{args: []string{"--temporal-grpc-compression", "zstd"},
			wantErr: `--temporal-grpc-compression / TEMPORAL_GRPC_COMPRESSION: want gzip or none, got "zstd"`},
	} {
		var s settings
		_, b := newFlags("serve", fTemporal, &s, func(k string) string { return tc.env[k] }, io.Discard)
		err := b.parse(tc.args, &s)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v %v: error %v, want %q", tc.args, tc.env, err, tc.wantErr)
			}
			continue
		}
		if err != nil || s.TemporalCompression != tc.want {
			t.Errorf("%v %v: compression %q, error %v; want %q", tc.args, tc.env, s.TemporalCompression, err, tc.want)
		}
	}
}
