package route

// validateConfig runs the configuration validator before compiling:
// Compile refuses configurations with errors and keeps the warnings. It
// drops the notes (SeverityInfo), which Compile never reports: a
// timeout-default note per VirtualService was a Problem and a field path
// built for nothing.
func validateConfig(cfg *Config) Problems {
	return validate(cfg, false)
}
