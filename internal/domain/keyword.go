package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"unicode/utf8"
)

// MaxKeyword is the longest value Temporal's visibility store keeps in a
// keyword search attribute or a workflow id (varchar(255) on SQL stores).
const MaxKeyword = 255

// Keyword is s bounded to MaxKeyword bytes for a search attribute or a
// derived workflow id: a longer s keeps its start (cut at a character) and
// ends with ~ and 16 hex digits of its SHA-256, so that distinct values
// stay distinct and the same value always bounds alike.
func Keyword(s string) string {
	if len(s) <= MaxKeyword {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	suffix := "~" + hex.EncodeToString(sum[:8])
	cut := MaxKeyword - len(suffix)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + suffix
}
