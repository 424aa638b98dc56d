package eventlog

import "testing"

func TestPrintableEscapesControlsAndBidi(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":              "plain text",
		"line\nnext\ttab":         "line\nnext\ttab",
		"\x1b[31mred":             `\u001b[31mred`,
		"c1\u009bcsi":             `c1\u009bcsi`,
		"evil\u202eexe.txt":       `evil\u202eexe.txt`,
		"iso\u2066x\u2069":        `iso\u2066x\u2069`,
		"bad\xffbyte":             `bad\xffbyte`,
		"real \uFFFD replacement": `real \ufffd replacement`,
		"DEL\x7f":                 `DEL\u007f`,
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}
