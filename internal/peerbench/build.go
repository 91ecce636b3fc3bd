package peerbench

import "fmt"

// recoverBuild turns a router's panic on registration (its way of refusing
// a pattern) into an error.
func recoverBuild(router string, err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s refused the table: %v", router, p)
	}
}
