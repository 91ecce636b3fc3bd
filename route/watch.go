package route

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// ReloadResult reports one reload attempt by Watch.
type ReloadResult struct {
	// Dir is the directory that was reloaded.
	Dir string
	// Err is nil when the new configuration is in force; otherwise the
	// previous table keeps serving and Err says why the new one was refused.
	Err error
	// Objects is the number of configuration objects loaded (0 on error).
	Objects int
	// Took is how long loading and compiling took.
	Took time.Duration
}

// WatchOption configures Watch.
type WatchOption func(*watchOptions)

type watchOptions struct {
	debounce time.Duration
	onReload func(ReloadResult)
	logger   *slog.Logger
	load     []LoadOption
}

// WithDebounce sets how long Watch waits after the last change before
// reloading (default 200ms), so an editor's burst of writes is one reload.
func WithDebounce(d time.Duration) WatchOption { return func(o *watchOptions) { o.debounce = d } }

// WithOnReload sets a callback told about every reload attempt.
func WithOnReload(fn func(ReloadResult)) WatchOption {
	return func(o *watchOptions) { o.onReload = fn }
}

// WithLogger sets the logger Watch reports reloads to (default
// slog.Default()).
func WithLogger(l *slog.Logger) WatchOption { return func(o *watchOptions) { o.logger = l } }

// WithLoadOptions passes options to the loader on every reload.
func WithLoadOptions(opts ...LoadOption) WatchOption {
	return func(o *watchOptions) { o.load = append(o.load, opts...) }
}

// Watch reloads the configuration in dir (and its subdirectories) into s
// whenever a file in it changes, until ctx is done. Changes are debounced;
// each reload's outcome goes to the WithOnReload callback and the logger.
// A configuration that does not load or compile never replaces the one in
// force. Watch returns ctx's error when ctx ends, or an error if dir cannot
// be watched at all. It does not load dir at start: build s from it first.
func (s *Store) Watch(ctx context.Context, dir string, opts ...WatchOption) error {
	o := watchOptions{debounce: 200 * time.Millisecond, logger: slog.Default()}
	for _, f := range opts {
		f(&o)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	if err := addTree(w, dir); err != nil {
		return err
	}

	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return ctx.Err()
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					_ = addTree(w, ev.Name)
				}
			}
			if timer == nil {
				timer = time.NewTimer(o.debounce)
			} else {
				timer.Reset(o.debounce)
			}
			fire = timer.C
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			o.logger.Warn("meshroute: watching configuration", "dir", dir, "error", err)
		case <-fire:
			fire = nil
			s.reloadDir(dir, &o)
		}
	}
}

func (s *Store) reloadDir(dir string, o *watchOptions) {
	start := time.Now()
	res := ReloadResult{Dir: dir}
	cfg, err := LoadDir(dir, o.load...)
	if err == nil {
		err = s.Update(cfg)
	}
	res.Took = time.Since(start)
	res.Err = err
	if err == nil {
		res.Objects = cfg.Len()
		o.logger.Info("meshroute: configuration reloaded", "dir", dir, "objects", res.Objects, "took", res.Took)
	} else {
		o.logger.Error("meshroute: configuration refused; previous table keeps serving", "dir", dir, "error", err)
	}
	if o.onReload != nil {
		o.onReload(res)
	}
}

// addTree watches dir and every directory below it.
func addTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return w.Add(p)
		}
		return nil
	})
}
