package subset

// Registry maps service hosts to their endpoints. It is safe for
// concurrent use; updates are swapped in atomically.
type Registry struct{}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }
