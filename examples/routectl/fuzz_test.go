package main

import (
	"strings"
	"testing"
)

// The request flags never panic: any METHOD, URL, header and labels give a
// request or an error, and a request keeps the method upper-cased.
func FuzzRequestFlags(f *testing.F) {
	f.Add("GET", "http://reviews:9080/reviews/0", "end-user: jason", "app=reviews,version=v2", "istio-system/gw")
	f.Add("post", "https://[::1]:8443/x?y=1", "Cookie: a=1; user=jason", "", "")
	f.Add("http://reviews/", "GET", ":", "=,=", "/")
	f.Add("", "%zz", "x", "a", "ns/")
	f.Fuzz(func(t *testing.T, method, url, header, labels, gateway string) {
		rf := requestFlags{labels: labels, gateway: gateway, namespace: "default"}
		rf.headers = stringList{header}
		req, err := rf.request([]string{method, url})
		if err != nil {
			if err.Error() == "" {
				t.Error("empty error")
			}
			return
		}
		if req.Method != strings.ToUpper(method) {
			t.Errorf("method %q became %q", method, req.Method)
		}
		if req.Header == nil {
			t.Error("no header map")
		}
	})
}

// A test file never panics the reader: any bytes are a file or an error.
func FuzzReadTestFile(f *testing.F) {
	f.Add([]byte("config: [a.yaml]\ntests:\n- request: {url: http://reviews/}\n  want: {subset: v1}\n"))
	f.Add([]byte("tests: {}\n"))
	f.Add([]byte("tests:\n- request: {url: 1}\n  want: {rule: x}\n"))
	f.Add([]byte("- - -\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		old := stdin
		stdin = strings.NewReader(string(b))
		defer func() { stdin = old }()
		tf, err := readTestFile("-")
		if err == nil && len(tf.Tests) == 0 {
			t.Error("a file without tests was accepted")
		}
	})
}
