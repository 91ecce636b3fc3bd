//lint:file-ignore SA1019 the tests pin how the deprecated delay.percent is honoured

package fault

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
	networking "istio.io/api/networking/v1alpha3"
)

type fi = networking.HTTPFaultInjection

func fixed(d time.Duration) *networking.HTTPFaultInjection_Delay_FixedDelay {
	return &networking.HTTPFaultInjection_Delay_FixedDelay{FixedDelay: durationpb.New(d)}
}

func pct(v float64) *networking.Percent { return &networking.Percent{Value: v} }

func httpStatus(c int32) *networking.HTTPFaultInjection_Abort_HttpStatus {
	return &networking.HTTPFaultInjection_Abort_HttpStatus{HttpStatus: c}
}

func grpcStatus(s string) *networking.HTTPFaultInjection_Abort_GrpcStatus {
	return &networking.HTTPFaultInjection_Abort_GrpcStatus{GrpcStatus: s}
}

func TestCompileSpec(t *testing.T) {
	tests := []struct {
		name           string
		in             *fi
		defaultPercent float64
		want           *Spec
	}{
		{"nil fault compiles to nil", nil, 100, nil},
		{"empty fault compiles to nil", &fi{}, 100, nil},
		{"delay percentage is value × 10000 per million", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(5 * time.Second), Percentage: pct(10)}}, 100,
			&Spec{Delay: &Delay{Duration: 5 * time.Second, Chance: 100_000}}},
		{"percentage keeps 0.0001% resolution", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(time.Second), Percentage: pct(0.0001)}}, 100,
			&Spec{Delay: &Delay{Duration: time.Second, Chance: 1}}},
		{"percentage is truncated, not rounded", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(time.Second), Percentage: pct(0.00019)}}, 100,
			&Spec{Delay: &Delay{Duration: time.Second, Chance: 1}}},
		{"float truncation as Istio does: 0.0003% is 2 per million", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(time.Second), Percentage: pct(0.0003)}}, 100,
			&Spec{Delay: &Delay{Duration: time.Second, Chance: 2}}},
		{"explicit 0% never fires", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(time.Second), Percentage: pct(0)}}, 100,
			&Spec{Delay: &Delay{Duration: time.Second, Chance: 0}}},
		{"legacy delay.percent is used when percentage is absent", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(time.Second), Percent: 10}}, 100,
			&Spec{Delay: &Delay{Duration: time.Second, Chance: 100_000}}},
		{"percentage wins over legacy percent", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(time.Second), Percent: 10, Percentage: pct(50)}}, 100,
			&Spec{Delay: &Delay{Duration: time.Second, Chance: 500_000}}},
		{"delay without any percentage uses the seeds' default 100%", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(7 * time.Second)}}, 100,
			&Spec{Delay: &Delay{Duration: 7 * time.Second, Chance: Million}}},
		{"delay without any percentage under Istio's default 0%", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(7 * time.Second)}}, 0,
			&Spec{Delay: &Delay{Duration: 7 * time.Second, Chance: 0}}},
		{"abort httpStatus", &fi{Abort: &networking.HTTPFaultInjection_Abort{ErrorType: httpStatus(400), Percentage: pct(10)}}, 100,
			&Spec{Abort: &Abort{HTTPStatus: 400, Chance: 100_000}}},
		{"abort without percentage uses the seeds' default 100%", &fi{Abort: &networking.HTTPFaultInjection_Abort{ErrorType: httpStatus(503)}}, 100,
			&Spec{Abort: &Abort{HTTPStatus: 503, Chance: Million}}},
		{"abort without percentage under Istio's default 0%", &fi{Abort: &networking.HTTPFaultInjection_Abort{ErrorType: httpStatus(503)}}, 0,
			&Spec{Abort: &Abort{HTTPStatus: 503, Chance: 0}}},
		{"abort grpcStatus name becomes a code", &fi{Abort: &networking.HTTPFaultInjection_Abort{ErrorType: grpcStatus("UNAVAILABLE"), Percentage: pct(100)}}, 100,
			&Spec{Abort: &Abort{GRPC: true, GRPCStatus: codes.Unavailable, Chance: Million}}},
		{"abort grpcStatus OK is code 0", &fi{Abort: &networking.HTTPFaultInjection_Abort{ErrorType: grpcStatus("OK")}}, 100,
			&Spec{Abort: &Abort{GRPC: true, GRPCStatus: codes.OK, Chance: Million}}},
		{"abort with no error type is dropped, as Istio drops it", &fi{Abort: &networking.HTTPFaultInjection_Abort{Percentage: pct(50)}}, 100, nil},
		{"abort with no error type leaves the delay", &fi{
			Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(time.Second)},
			Abort: &networking.HTTPFaultInjection_Abort{}}, 100,
			&Spec{Delay: &Delay{Duration: time.Second, Chance: Million}}},
		{"delay and abort together", &fi{
			Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(time.Second), Percentage: pct(50)},
			Abort: &networking.HTTPFaultInjection_Abort{ErrorType: httpStatus(500), Percentage: pct(50)}}, 100,
			&Spec{Delay: &Delay{Duration: time.Second, Chance: 500_000}, Abort: &Abort{HTTPStatus: 500, Chance: 500_000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CompileSpec(tt.in, tt.defaultPercent)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileSpecErrors(t *testing.T) {
	tests := []struct {
		name           string
		in             *fi
		defaultPercent float64
		want           string
	}{
		{"exponentialDelay is rejected", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: &networking.HTTPFaultInjection_Delay_ExponentialDelay{ExponentialDelay: durationpb.New(time.Second)}}}, 100,
			"delay: exponentialDelay is not supported"},
		{"delay without fixedDelay is rejected", &fi{Delay: &networking.HTTPFaultInjection_Delay{Percentage: pct(1)}}, 100, "delay: fixedDelay is required"},
		{"negative fixedDelay is rejected", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(-time.Second)}}, 100, "delay: fixedDelay -1s is negative"},
		{"nil fixedDelay is rejected", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: &networking.HTTPFaultInjection_Delay_FixedDelay{}}}, 100, "delay: fixedDelay:"},
		{"delay percentage above 100 is rejected", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(time.Second), Percentage: pct(101)}}, 100, "delay: percentage 101 is outside 0..100"},
		{"negative percentage is rejected", &fi{Abort: &networking.HTTPFaultInjection_Abort{ErrorType: httpStatus(500), Percentage: pct(-1)}}, 100, "abort: percentage -1 is outside 0..100"},
		{"legacy percent above 100 is rejected", &fi{Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: fixed(time.Second), Percent: 150}}, 100, "delay: percent 150 is outside 0..100"},
		{"httpStatus below 200 is rejected", &fi{Abort: &networking.HTTPFaultInjection_Abort{ErrorType: httpStatus(100)}}, 100, "abort: httpStatus 100 is outside 200..600"},
		{"httpStatus above 600 is rejected", &fi{Abort: &networking.HTTPFaultInjection_Abort{ErrorType: httpStatus(601)}}, 100, "abort: httpStatus 601 is outside 200..600"},
		{"numeric grpcStatus is rejected", &fi{Abort: &networking.HTTPFaultInjection_Abort{ErrorType: grpcStatus("14")}}, 100, `abort: grpcStatus "14" is not a gRPC status name`},
		{"lower-case grpcStatus is rejected", &fi{Abort: &networking.HTTPFaultInjection_Abort{ErrorType: grpcStatus("unavailable")}}, 100, `abort: grpcStatus "unavailable" is not a gRPC status name`},
		{"http2Error is rejected", &fi{Abort: &networking.HTTPFaultInjection_Abort{ErrorType: &networking.HTTPFaultInjection_Abort_Http2Error{Http2Error: "x"}}}, 100, "abort: http2Error is not supported"},
		{"default percent above 100 is rejected", &fi{}, 200, "default fault percent 200 is outside 0..100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileSpec(tt.in, tt.defaultPercent)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestParseGRPCStatusAcceptsEveryIstioName(t *testing.T) {
	names := []string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
		"PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
		"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}
	for i, n := range names {
		c, err := ParseGRPCStatus(n)
		if err != nil || c != codes.Code(i) {
			t.Errorf("ParseGRPCStatus(%q) = %v, %v; want code %d", n, c, err, i)
		}
	}
}

func TestFromPercent(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want PerMillion
	}{
		{"zero", 0, 0},
		{"negative clamps to zero", -5, 0},
		{"100 is a million", 100, Million},
		{"above 100 clamps", 250, Million},
		{"50 is half", 50, 500_000},
		{"0.5 is 5000", 0.5, 5000},
		{"truncates below resolution", 0.00009, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromPercent(tt.in); got != tt.want {
				t.Errorf("FromPercent(%v) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
	if got := PerMillion(125_000).Percent(); got != 12.5 {
		t.Errorf("Percent() = %v, want 12.5", got)
	}
}
