package provider

import "testing"

func TestFoldedDuplicateKey(t *testing.T) {
	for body, want := range map[string]string{
		`{"data":{"payment_id":"A","PAYMENT_ID":"B"}}`: "PAYMENT_ID",
		`{"a":1,"a":2}`: "a",
		`{"list":[{"k":1},{"k":2}],"x":{"k":1,"y":{"k":{}}}}`:  "",
		`{"a":{"b":1},"A":{}}`:                                 "A",
		`{"data":[1,{"Key":1,"kEY":2}]}`:                       "kEY",
		`{"\u212aelvin":1,"kelvin":2}`:                         "kelvin", // U+212A KELVIN SIGN folds to k
		`{"payment_id":"A","data":{"payment_id":"B"}}`:         "",
		`{"s":"{\"a\":1,\"a\":2}"}`:                            "",
		`[{"a":1},{"a":1}]`:                                    "",
		`{"a":[{"b":1,"c":[1,2,{"d":1}]}],"b":{"c":1},"c":[]}`: "",
	} {
		if got := foldedDuplicateKey([]byte(body)); got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
}
