package route

import (
	"time"

	networking "istio.io/api/networking/v1alpha3"
)

// Kind names of the Istio networking objects meshroute understands.
const (
	KindVirtualService  = "VirtualService"
	KindDestinationRule = "DestinationRule"
	KindServiceEntry    = "ServiceEntry"
	KindGateway         = "Gateway"
	KindWorkloadEntry   = "WorkloadEntry"
)

// Meta is the Kubernetes metadata meshroute keeps for an object, and where
// it was read from.
type Meta struct {
	Name              string
	Namespace         string
	Labels            map[string]string
	CreationTimestamp time.Time
	// Source says where the object came from, for error messages: a file
	// path and the 1-based document index inside it ("" and 0 when the
	// object was built in code).
	Source Source
}

// Source locates an object in the files it was loaded from.
type Source struct {
	File string // path as given to the loader, or "-" for standard input
	Doc  int    // 1-based index of the YAML/JSON document in File
}

// Ref returns the object's reference for kind.
func (m *Meta) Ref(kind string) ObjectRef {
	return ObjectRef{Kind: kind, Namespace: m.Namespace, Name: m.Name}
}

// ObjectRef names one configuration object.
type ObjectRef struct {
	Kind      string
	Namespace string
	Name      string
}

// String returns "Kind namespace/name", or "namespace/name" without a kind.
func (r ObjectRef) String() string {
	if r.Kind == "" {
		return r.Namespace + "/" + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// VirtualService is an Istio VirtualService with its metadata.
type VirtualService struct {
	Meta
	Spec *networking.VirtualService
}

// DestinationRule is an Istio DestinationRule with its metadata.
type DestinationRule struct {
	Meta
	Spec *networking.DestinationRule
}

// ServiceEntry is an Istio ServiceEntry with its metadata.
type ServiceEntry struct {
	Meta
	Spec *networking.ServiceEntry
}

// Gateway is an Istio Gateway with its metadata.
type Gateway struct {
	Meta
	Spec *networking.Gateway
}

// WorkloadEntry is an Istio WorkloadEntry with its metadata; its labels and
// address become endpoints of the ServiceEntries that select it.
type WorkloadEntry struct {
	Meta
	Spec *networking.WorkloadEntry
}

// Config is a set of loaded configuration objects: what Compile turns into
// a Table. The zero value is an empty configuration.
type Config struct {
	VirtualServices  []*VirtualService
	DestinationRules []*DestinationRule
	ServiceEntries   []*ServiceEntry
	Gateways         []*Gateway
	WorkloadEntries  []*WorkloadEntry

	// Skipped lists objects of other kinds found while loading (Deployments,
	// Services, ...), which meshroute ignores.
	Skipped []Skipped
	// Warnings lists problems found while loading that did not stop it,
	// such as deprecated fields.
	Warnings []*Problem
}

// Skipped describes an object the loader ignored because meshroute does
// not handle its kind.
type Skipped struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	Source     Source
}

// Merge appends the objects, skipped entries and warnings of other to c.
func (c *Config) Merge(other *Config) {
	if other == nil {
		return
	}
	c.VirtualServices = append(c.VirtualServices, other.VirtualServices...)
	c.DestinationRules = append(c.DestinationRules, other.DestinationRules...)
	c.ServiceEntries = append(c.ServiceEntries, other.ServiceEntries...)
	c.Gateways = append(c.Gateways, other.Gateways...)
	c.WorkloadEntries = append(c.WorkloadEntries, other.WorkloadEntries...)
	c.Skipped = append(c.Skipped, other.Skipped...)
	c.Warnings = append(c.Warnings, other.Warnings...)
}

// Len returns the number of configuration objects in c.
func (c *Config) Len() int {
	return len(c.VirtualServices) + len(c.DestinationRules) + len(c.ServiceEntries) +
		len(c.Gateways) + len(c.WorkloadEntries)
}
