package route

// validateConfig runs the configuration validator before compiling:
// Compile refuses configurations with errors and keeps the warnings.
func validateConfig(cfg *Config) Problems {
	return Validate(cfg)
}
