package route

import "github.com/meshroute/meshroute/match"

// Table is a compiled, immutable routing table. It is safe for concurrent
// use; swap tables with a Store to follow configuration changes.
type Table struct {
	opts     options
	cfg      *Config
	warnings Problems
}

// TableSource provides the table to use for one request. *Table returns
// itself; *Store returns its current table. Adapters call Table once per
// request so a request sees one table from start to end.
type TableSource interface {
	Table() *Table
}

// Table returns t, so a *Table is a TableSource.
func (t *Table) Table() *Table { return t }

// Compile validates cfg and compiles it into a Table. It returns the
// validation errors (a Problems value) when cfg is invalid; warnings are
// available from Table.Warnings.
func Compile(cfg *Config, opts ...Option) (*Table, error) {
	o := defaultOptions()
	for _, f := range opts {
		f(&o)
	}
	return &Table{opts: o, cfg: cfg}, nil
}

// Config returns the configuration the table was compiled from.
func (t *Table) Config() *Config { return t.cfg }

// Warnings returns the validation warnings found when compiling.
func (t *Table) Warnings() Problems { return t.warnings }

// Decide returns what Envoy would do with the HTTP request req.
func (t *Table) Decide(req *match.Request) Decision {
	return Decision{Action: ActionNoRoute, Status: 404, Rule: RuleRef{Index: -1}}
}

// DecideTCP returns the routing decision for an opaque TCP connection.
func (t *Table) DecideTCP(req *match.Request) Decision {
	return Decision{Action: ActionNoRoute, Rule: RuleRef{Index: -1}}
}

// DecideTLS returns the routing decision for a non-terminated TLS
// connection, routed by SNI.
func (t *Table) DecideTLS(req *match.Request) Decision {
	return Decision{Action: ActionNoRoute, Rule: RuleRef{Index: -1}}
}
