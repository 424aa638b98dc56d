package provider

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
)

// foldedDuplicateKey returns a key of some object in body that repeats
// another key of the same object, exactly or in another case; "" when none
// does. Go's decoding matches keys case-insensitively and keeps the last,
// while PostgreSQL's jsonb and `events show` tell them apart: such a body
// would be applied as one thing and shown as another.
func foldedDuplicateKey(body []byte) string {
	type frame struct {
		obj, expectKey bool
		keys           map[string]bool
	}
	var stack []*frame
	top := func() *frame {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	valueDone := func() {
		if f := top(); f != nil && f.obj {
			f.expectKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if f := top(); f != nil && f.obj {
					f.expectKey = false
				}
				stack = append(stack, &frame{obj: d == '{', expectKey: d == '{', keys: map[string]bool{}})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
			continue
		}
		if f := top(); f != nil && f.obj && f.expectKey {
			key, _ := tok.(string)
			folded := fold(key)
			if f.keys[folded] {
				return key
			}
			f.keys[folded], f.expectKey = true, false
			continue
		}
		valueDone()
	}
}

// fold maps each rune of s to the smallest of its case-folding orbit, so
// that keys equal under strings.EqualFold fold alike.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}
