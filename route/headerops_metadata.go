package route

import "strings"

// ApplyMetadata carries out the operations on gRPC metadata (lower-case
// keys, as google.golang.org/grpc/metadata.MD): at each level, removals
// first, then set (replace) and add (append), exactly as Apply does on an
// HTTP header. Names are lower-cased as gRPC requires.
func (h HeaderOps) ApplyMetadata(md map[string][]string) {
	for _, l := range h.levels {
		for _, n := range l.remove {
			delete(md, strings.ToLower(n))
		}
		for _, kv := range l.set {
			md[strings.ToLower(kv.Name)] = []string{kv.Value}
		}
		for _, kv := range l.add {
			k := strings.ToLower(kv.Name)
			md[k] = append(md[k], kv.Value)
		}
	}
}
