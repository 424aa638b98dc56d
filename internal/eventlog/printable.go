package eventlog

import (
	"fmt"
	"strings"
	"unicode"
)

// Printable is s safe to print on a terminal: newlines and tabs stay, and
// every other control character (C0, DEL, C1), every bidirectional
// formatting character (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C)
// and every invalid byte is shown as a \u escape, so that a payload cannot
// move the cursor, recolour the terminal or reverse the text around it.
func Printable(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == unicode.ReplacementChar && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || (r >= 0x7f && r <= 0x9f):
		return true
	case r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return true
	case r == unicode.ReplacementChar:
		return true
	}
	return false
}
