package money

import "testing"

func TestFormatUsesISO4217Exponents(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		code  string
		want  string
	}{
		{1999, "USD", "19.99 USD"},
		{1999, "usd", "19.99 USD"},
		{5, "EUR", "0.05 EUR"},
		{500, "JPY", "500 JPY"},
		{1500, "KRW", "1500 KRW"},
		{12345, "KWD", "12.345 KWD"},
		{12345, "BHD", "12.345 BHD"},
		{1000, "JOD", "1.000 JOD"},
		{1, "OMR", "0.001 OMR"},
		{12345, "TND", "12.345 TND"},
		{12345, "IQD", "12.345 IQD"},
		{12345, "LYD", "12.345 LYD"},
		{-1999, "USD", "-19.99 USD"},
		{12345, "XYZ", "12345 (minor units) XYZ"},
	} {
		if got := Format(tc.minor, tc.code); got != tc.want {
			t.Errorf("Format(%d, %q) = %q, want %q", tc.minor, tc.code, got, tc.want)
		}
	}
	if got := Amount(12345, "KWD"); got != "12.345" {
		t.Errorf("Amount(12345, KWD) = %q", got)
	}
	for code, want := range map[string]bool{"USD": true, "usd": true, "US": false, "USDX": false, "U$D": false, "": false} {
		if ValidCode(code) != want {
			t.Errorf("ValidCode(%q) = %v", code, !want)
		}
	}
}
