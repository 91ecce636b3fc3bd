package match

import "strings"

// QueryParam finds key in a raw query string ("a=1&b&c=", without the
// leading "?") as Envoy's query-parameter matcher does: parameters are
// separated by "&", the key is everything before the first "=" and is
// compared case-sensitively and without percent-decoding, and the first
// occurrence wins. A parameter written without "=" ("?debug") is present
// with an empty value. The value is returned raw (not percent-decoded).
// QueryParam never allocates.
func QueryParam(rawQuery, key string) (value string, present bool) {
	for rawQuery != "" {
		var param string
		param, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, v, _ := strings.Cut(param, "=")
		if k == key && param != "" {
			return v, true
		}
	}
	return "", false
}
