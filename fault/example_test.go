package fault_test

import (
	"fmt"
	"net/http/httptest"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/fault"
)

func ExampleCompileSpec() {
	spec, err := fault.CompileSpec(&networking.HTTPFaultInjection{
		Delay: &networking.HTTPFaultInjection_Delay{
			HttpDelayType: &networking.HTTPFaultInjection_Delay_FixedDelay{FixedDelay: durationpb.New(5 * time.Second)},
			Percentage:    &networking.Percent{Value: 10},
		},
		Abort: &networking.HTTPFaultInjection_Abort{
			ErrorType: &networking.HTTPFaultInjection_Abort_GrpcStatus{GrpcStatus: "UNAVAILABLE"},
		},
	}, 100) // the seeds' default: no percentage means every request
	if err != nil {
		panic(err)
	}
	fmt.Println(spec.Delay.Duration, spec.Delay.Chance.Percent())
	fmt.Println(spec.Abort.GRPCStatus, spec.Abort.Chance.Percent())

	// Sample with two random numbers; 5 % 1e6 < 100000, so the delay fires.
	o := spec.Sample(5, 7)
	fmt.Println(o.DelayDuration(), o.Aborted)
	// Output:
	// 5s 10
	// Unavailable 100
	// 5s true
}

func ExampleWriteHTTP() {
	rec := httptest.NewRecorder()
	fault.WriteHTTP(rec, fault.Abort{HTTPStatus: 503})
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	// Output: 503 text/plain fault filter abort
}

func ExampleGRPCError() {
	fmt.Println(fault.GRPCError(fault.Abort{HTTPStatus: 404}))
	// Output: rpc error: code = Unimplemented desc = fault filter abort
}
