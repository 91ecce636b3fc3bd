package host_test

import (
	"fmt"

	"github.com/meshroute/meshroute/internal/host"
)

func ExampleValidateWildcardDomain() {
	for _, h := range []string{"*.bookinfo.com", "reviews", "foo.*.com"} {
		if err := host.ValidateWildcardDomain(h); err != nil {
			fmt.Printf("%s: %v\n", h, err)
			continue
		}
		fmt.Printf("%s: ok\n", h)
	}
	// Output:
	// *.bookinfo.com: ok
	// reviews: ok
	// foo.*.com: has a wildcard that is not at the start of the first label (write "*.example.com")
}
