package domain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestKeyword(t *testing.T) {
	short := strings.Repeat("u", MaxKeyword)
	if Keyword(short) != short {
		t.Error("a value that fits changed")
	}
	a, b := strings.Repeat("é", 200)+"a", strings.Repeat("é", 200)+"b"
	ka, kb := Keyword(a), Keyword(b)
	if len(ka) > MaxKeyword || !utf8.ValidString(ka) || ka == kb || Keyword(a) != ka {
		t.Errorf("bounded: %d bytes, valid %v, distinct %v", len(ka), utf8.ValidString(ka), ka != kb)
	}
}
