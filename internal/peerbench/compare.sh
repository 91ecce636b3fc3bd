#!/usr/bin/env bash
# Runs the peer-router comparison and prints one table: workload, router,
# ns/op, allocs/op and the ratio to meshroute on the same requests.
#
#   internal/peerbench/compare.sh                      # all workloads, 200ms each
#   internal/peerbench/compare.sh -benchtime 1s        # steadier numbers
#   internal/peerbench/compare.sh -workloads routes=100,routes=10000 -routers chi,servemux
#
# The same benchmarks run under go test as BenchmarkPeers/<workload>/<router>:
#   cd internal/peerbench && go test -run '^$' -bench BenchmarkPeers -benchtime 200ms -benchmem
set -euo pipefail
cd "$(dirname "$0")"
# This module replaces meshroute with the checkout (../..); when the library
# gains a dependency, this module's go.sum needs its hashes too.
go mod tidy
exec go run ./cmd/compare "$@"
