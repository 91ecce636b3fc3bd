package route

import (
	"sync/atomic"

	"github.com/meshroute/meshroute/match"
)

// Store holds the current Table behind an atomic pointer so configuration
// can be reloaded while requests are being served. Each request should take
// the table once (Store.Table) and use it from start to end; adapters do.
//
// Update compiles a new configuration and swaps it in only if it is valid:
// a bad configuration never replaces a good one.
type Store struct {
	cur  atomic.Pointer[Table]
	opts []Option
}

// NewStore compiles cfg with opts and returns a Store serving it. The same
// options are used for every later Update.
func NewStore(cfg *Config, opts ...Option) (*Store, error) {
	s := &Store{opts: opts}
	t, err := Compile(cfg, opts...)
	if err != nil {
		return nil, err
	}
	s.cur.Store(t)
	return s, nil
}

// Table returns the table currently in force.
func (s *Store) Table() *Table { return s.cur.Load() }

// Update compiles cfg and, if it compiles, makes it the table in force. On
// error the previous table keeps serving and the error is returned. The
// regexes the table in force has already compiled are reused, not
// compiled again.
func (s *Store) Update(cfg *Config) error {
	t, err := compileFrom(s.cur.Load(), cfg, s.opts...)
	if err != nil {
		return err
	}
	s.cur.Store(t)
	return nil
}

// Swap makes an already compiled table the one in force and returns the
// previous one.
func (s *Store) Swap(t *Table) *Table { return s.cur.Swap(t) }

// Decide decides on the current table.
func (s *Store) Decide(req *match.Request) Decision { return s.cur.Load().Decide(req) }
