package route

// ApplyMetadata carries out the operations on gRPC metadata (lower-case
// keys, as google.golang.org/grpc/metadata.MD): at each level, removals
// first, then set (replace) and add (append), exactly as Apply does on an
// HTTP header. Names are lower-cased as gRPC requires.
func (h HeaderOps) ApplyMetadata(md map[string][]string) {
	for _, l := range h.levels {
		for i, n := range l.remove {
			delete(md, l.metadataName(i, n))
		}
		base := len(l.remove)
		if len(l.set) > 0 {
			vals := make([]string, len(l.set)) // one array per level, as Apply
			for i, kv := range l.set {
				vals[i] = kv.Value
				md[l.metadataName(base+i, kv.Name)] = vals[i : i+1 : i+1]
			}
		}
		base += len(l.set)
		for i, kv := range l.add {
			k := l.metadataName(base+i, kv.Name)
			md[k] = append(md[k], kv.Value)
		}
	}
}
