package route

import (
	"reflect"
	"testing"
	"time"
	"unsafe"
)

// TestSameRetryComparesEveryField changes each field of a retry policy in
// turn: sameRetry must tell every change apart, so a field added to Retry
// cannot be forgotten there (rules would share a policy that differs).
func TestSameRetryComparesEveryField(t *testing.T) {
	base := Retry{Attempts: 2, PerTryTimeout: time.Second, On: 1, StatusCodes: []int{503}, Backoff: 25 * time.Millisecond,
		MaxBackoff: 250 * time.Millisecond, RetryOnText: "5xx"}
	if !sameRetry(&base, &base) {
		t.Fatal("a policy differs from itself")
	}
	rt := reflect.TypeOf(base)
	for i := range rt.NumField() {
		f := rt.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			changed := base
			changed.StatusCodes = append([]int(nil), base.StatusCodes...)
			v := reflect.ValueOf(&changed).Elem().Field(i)
			switch v.Kind() {
			case reflect.Bool:
				v.SetBool(!v.Bool())
			case reflect.Int, reflect.Int64:
				v.SetInt(v.Int() + 1)
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				v.SetUint(v.Uint() + 1)
			case reflect.String:
				v.SetString(v.String() + "x")
			case reflect.Slice:
				v.Set(reflect.Append(v, reflect.ValueOf(500)))
			default:
				t.Fatalf("field %s of kind %v: teach this test (and sameRetry) about it", f.Name, v.Kind())
			}
			if sameRetry(&base, &changed) {
				t.Errorf("sameRetry does not see a change of %s", f.Name)
			}
		})
	}
}

// TestSlotFitsACacheLine: a slot is one 64-byte cache line on 64-bit
// platforms, so trying a clause reads one line (a field added to slot
// belongs in the rule plan or behind rm).
func TestSlotFitsACacheLine(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("64-bit platforms only")
	}
	if got := unsafe.Sizeof(slot{}); got > 64 {
		t.Errorf("slot is %d bytes, want at most 64", got)
	}
}
