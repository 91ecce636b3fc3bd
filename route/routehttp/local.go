package routehttp

import (
	"io"
	"net/http"
	"strconv"
)

// writeLocal writes a locally generated reply, text/plain unless the
// header already names a content type.
func writeLocal(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	if body != "" {
		if _, ok := h["Content-Type"]; !ok {
			h["Content-Type"] = []string{"text/plain"}
		}
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	w.WriteHeader(status)
	if body != "" {
		_, _ = io.WriteString(w, body)
	}
}
