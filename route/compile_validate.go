package route

import "github.com/meshroute/meshroute/match"

// validateConfig runs the configuration validator before compiling:
// Compile refuses configurations with errors and keeps the warnings. It
// drops the notes (SeverityInfo), which Compile never reports: a
// timeout-default note per VirtualService was a Problem and a field path
// built for nothing.
//
// anchoredRegex, when not nil, is the RE2 compiler (with Compile's cache)
// the validator checks match regexes with (validator.anchoredRegex).
func validateConfig(cfg *Config, anchoredRegex match.RegexCompiler) Problems {
	return validate(cfg, false, anchoredRegex)
}
