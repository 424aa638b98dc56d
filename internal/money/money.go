// Package money formats amounts in minor units for people. The number of
// decimals of each currency is its ISO 4217 minor unit, from
// github.com/bojanz/currency's tables (golang.org/x/text/currency carries
// CLDR's display digits instead, which differ for IQD, IRR and others), not
// a hand-written list: JPY has none, USD two, KWD, BHD, JOD, OMR, TND, IQD
// and LYD three. An unknown code is never guessed: its amount is shown in
// minor units.
package money

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bojanz/currency"
)

// Decimals is the ISO 4217 minor unit exponent of code, and whether the
// code is a known currency.
func Decimals(code string) (int, bool) {
	d, ok := currency.GetDigits(strings.ToUpper(strings.TrimSpace(code)))
	return int(d), ok
}

// Format is minor units for people, with the code: 1999 USD is
// "19.99 USD", 500 JPY "500 JPY", 12345 KWD "12.345 KWD", and 12345 of an
// unknown code "12345 (minor units) XYZ".
func Format(minor int64, code string) string {
	return Amount(minor, code) + " " + strings.ToUpper(strings.TrimSpace(code))
}

// Amount is Format without the code ("12.345"): what the email templates
// put before the code.
func Amount(minor int64, code string) string {
	d, ok := Decimals(code)
	if !ok {
		return fmt.Sprintf("%d (minor units)", minor)
	}
	return Number(minor, d)
}

// Number writes minor units with d decimals: Number(-1999, 2) is "-19.99".
func Number(minor int64, d int) string {
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", uint64(-minor)
	}
	s := strconv.FormatUint(u, 10)
	if d <= 0 {
		return sign + s
	}
	if len(s) <= d {
		s = strings.Repeat("0", d-len(s)+1) + s
	}
	return sign + s[:len(s)-d] + "." + s[len(s)-d:]
}

// ValidCode reports whether code is three ASCII letters: the shape of an
// ISO 4217 code (a code the tables do not know still passes, and is shown
// in minor units).
func ValidCode(code string) bool {
	if len(code) != 3 {
		return false
	}
	for _, r := range code {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') {
			return false
		}
	}
	return true
}
