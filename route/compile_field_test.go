package route

import (
	"fmt"
	"testing"
)

// ruleField prints as compileHTTPRule's field string did when it was built
// eagerly with fmt.Sprintf.
func TestRuleFieldString(t *testing.T) {
	del := &VirtualService{Meta: Meta{Name: "reviews-delegate", Namespace: "bookinfo"}}
	for _, tt := range []struct {
		f    ruleField
		want string
	}{
		{ruleField{index: 0}, fmt.Sprintf("spec.http[%d]", 0)},
		{ruleField{index: 12}, fmt.Sprintf("spec.http[%d]", 12)},
		{ruleField{index: 3, delegate: del, delIndex: 7},
			fmt.Sprintf("%s (delegate %s/%s spec.http[%d])", fmt.Sprintf("spec.http[%d]", 3), del.Namespace, del.Name, 7)},
	} {
		if got := fmt.Sprintf("%s.route", tt.f); got != tt.want+".route" {
			t.Errorf("got %q, want %q", got, tt.want+".route")
		}
	}
}
