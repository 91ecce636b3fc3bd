package route

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Limits that keep the loader from exhausting memory or stack on hostile
// input; LoadOptions can change the size limit.
const (
	// DefaultMaxLoadBytes is the largest input (one file, or standard
	// input) the loader reads: 32 MiB.
	DefaultMaxLoadBytes = 32 << 20
	// maxNesting is the deepest YAML/JSON nesting accepted. Istio objects
	// nest about ten levels deep; the limit only stops pathological input.
	maxNesting = 200
)

// LoadOption configures the loader.
type LoadOption func(*loadOptions)

type loadOptions struct {
	namespace string
	maxBytes  int64
	stdin     io.Reader
}

func newLoadOptions(opts []LoadOption) loadOptions {
	o := loadOptions{namespace: "default", maxBytes: DefaultMaxLoadBytes, stdin: os.Stdin}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithDefaultNamespace sets the namespace of objects whose metadata names
// none, as kubectl's current namespace would (default "default").
func WithDefaultNamespace(ns string) LoadOption {
	return func(o *loadOptions) {
		if ns != "" {
			o.namespace = ns
		}
	}
}

// WithMaxBytes sets the largest input the loader accepts from one file or
// reader (default DefaultMaxLoadBytes); larger input is an error.
func WithMaxBytes(n int64) LoadOption {
	return func(o *loadOptions) {
		if n > 0 {
			o.maxBytes = n
		}
	}
}

// WithStdin sets what the path "-" reads (default os.Stdin).
func WithStdin(r io.Reader) LoadOption { return func(o *loadOptions) { o.stdin = r } }

// Load reads configuration from files and directories ("-" reads standard
// input) with the default options; see LoadPaths.
func Load(paths ...string) (*Config, error) { return LoadPaths(paths) }

// LoadPaths reads configuration from each path in order: a directory is
// read with LoadDir, "-" reads standard input (once), anything else with
// LoadFile. The objects of all inputs are merged into one Config.
//
// Errors come in two kinds. Problems in the configuration (YAML syntax,
// unknown fields, bad values) are collected from every document and
// returned together as a Problems value, alongside a Config holding the
// objects that did load. An I/O error (a missing file, an unreadable
// directory) stops loading and is returned as is, with a nil Config.
//
// Codes of the loader's problems: yaml-syntax, yaml-alias (an unquoted
// "*host"), syntax, not-an-object, missing-kind, nested-list, api-version,
// unknown-field (with the closest field name), field-type (including "a
// list of match conditions is expected"), enum, oneof, duration, null,
// timestamp, too-deep, input-too-large, schema (protojson's own words),
// internal-error; warnings deprecated-field (abort.percent, delay.percent)
// and removed-field (fields Istio removed, dropped as kubectl's pruning
// would).
func LoadPaths(paths []string, opts ...LoadOption) (*Config, error) {
	o := newLoadOptions(opts)
	cfg := &Config{}
	var probs Problems
	stdinRead := false
	for _, p := range paths {
		var (
			c   *Config
			err error
		)
		switch {
		case p == "-":
			if stdinRead {
				return nil, errors.New(`route: "-" (standard input) given more than once`)
			}
			stdinRead = true
			c, err = loadReader(o.stdin, "-", o)
		default:
			var st fs.FileInfo
			st, err = os.Stat(p)
			if err != nil {
				return nil, err
			}
			if st.IsDir() {
				c, err = loadDir(p, o)
			} else {
				c, err = loadFile(p, o)
			}
		}
		if !collect(&probs, err) {
			return nil, err
		}
		cfg.Merge(c)
	}
	return cfg, probs.Err()
}

// collect appends err's problems to probs and reports whether err was nil
// or a Problems value (false means an I/O error).
func collect(probs *Problems, err error) bool {
	if err == nil {
		return true
	}
	var ps Problems
	if errors.As(err, &ps) {
		*probs = append(*probs, ps...)
		return true
	}
	return false
}

// LoadFile reads one YAML or JSON file holding any number of documents.
// See LoadPaths for how errors are reported.
func LoadFile(path string, opts ...LoadOption) (*Config, error) {
	return loadFile(path, newLoadOptions(opts))
}

func loadFile(path string, o loadOptions) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return loadReader(f, path, o)
}

// IsConfigFile reports whether LoadDir reads a file of this name: one
// ending in .yaml, .yml or .json.
func IsConfigFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// LoadDir reads every *.yaml, *.yml and *.json file under dir, recursively,
// in lexical order of their paths (as kubectl apply -R -f does). See
// LoadPaths for how errors are reported.
func LoadDir(dir string, opts ...LoadOption) (*Config, error) {
	return loadDir(dir, newLoadOptions(opts))
}

func loadDir(dir string, o loadOptions) (*Config, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && IsConfigFile(d.Name()) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	var probs Problems
	for _, f := range files {
		c, err := loadFile(f, o)
		if !collect(&probs, err) {
			return nil, err
		}
		cfg.Merge(c)
	}
	return cfg, probs.Err()
}

// LoadReader reads YAML or JSON documents from r; name is used in error
// messages and Meta.Source (use "-" for standard input). See LoadPaths for
// how errors are reported.
func LoadReader(r io.Reader, name string, opts ...LoadOption) (*Config, error) {
	return loadReader(r, name, newLoadOptions(opts))
}

func loadReader(r io.Reader, name string, o loadOptions) (*Config, error) {
	b, err := io.ReadAll(io.LimitReader(r, o.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("route: reading %s: %w", name, err)
	}
	if int64(len(b)) > o.maxBytes {
		return &Config{}, Problems{{
			Source: Source{File: name},
			Code:   "input-too-large",
			Rule:   fmt.Sprintf("input is larger than the %d-byte limit (see WithMaxBytes)", o.maxBytes),
		}}
	}
	cfg, probs := loadBytes(b, name, o)
	return cfg, probs.Err()
}

// LoadBytes reads YAML or JSON documents from b; name is used in error
// messages and Meta.Source. It returns the objects that loaded and, when
// any document has a problem, a Problems error listing them all; warnings
// (deprecated fields) are in Config.Warnings.
func LoadBytes(b []byte, name string, opts ...LoadOption) (*Config, error) {
	cfg, probs := loadBytes(b, name, newLoadOptions(opts))
	return cfg, probs.Err()
}

// loadBytes decodes every document in b and returns the objects and the
// errors found.
func loadBytes(b []byte, name string, o loadOptions) (cfg *Config, probs Problems) {
	d := &decoder{cfg: &Config{}, file: name, namespace: o.namespace}
	defer func() {
		// The decoders below are written not to panic; this is the last
		// line of defence so bad input is an error, never a crash.
		if r := recover(); r != nil {
			cfg, probs = d.cfg, append(d.errs, &Problem{
				Source: Source{File: name}, Code: "internal-error",
				Rule: fmt.Sprintf("the loader failed on this input (%v); please report it", r),
			})
		}
	}()
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // UTF-8 byte-order mark
	for _, doc := range splitDocuments(b) {
		d.document(doc)
	}
	return d.cfg, d.errs
}
