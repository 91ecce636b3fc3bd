package route

import "testing"

const (
	drPrefix = "DestinationRule default/r: "
	sePrefix = "ServiceEntry default/r: "
	gwPrefix = "Gateway default/gw: "
)

// TestValidateDestinationRuleRules pins Istio's DestinationRule rules
// (destinationrule.md).
func TestValidateDestinationRuleRules(t *testing.T) {
	e := func(s string) string { return "error: " + drPrefix + s }
	w := func(s string) string { return "warning: " + drPrefix + s }
	runRuleCases(t, []ruleCase{
		{name: "a DestinationRule host may be *", yaml: drDoc("host: '*'\ntrafficPolicy: {loadBalancer: {simple: RANDOM}}")},
		{name: "a DestinationRule host may be a wildcard", yaml: drDoc("host: '*.foo.com'")},
		{
			name: "a DestinationRule host is a valid DNS name",
			yaml: drDoc("host: 'a..b'"),
			want: []string{e(`spec.host: "a..b" has an invalid label "" (letters, digits and '-', at most 63, not starting or ending with '-')`)},
		},
		{
			name: "subset names are unique",
			yaml: drDoc("host: r\nsubsets: [{name: v1}, {name: v1}]"),
			want: []string{e(`spec.subsets[1].name: "v1" is already the name of an earlier subset`)},
		},
		{
			name: "subset names are DNS-1123 labels",
			yaml: drDoc("host: r\nsubsets: [{name: V.1}]"),
			want: []string{e(`spec.subsets[0].name: "V.1" is not a valid subset name: a DNS-1123 label`)},
		},
		{
			name: "subset label values are valid",
			yaml: drDoc("host: r\nsubsets: [{name: v1, labels: {version: 'v 1'}}]"),
			want: []string{e(`spec.subsets[0].labels.version: "v 1" is not a valid label value: letters, digits, '-', '_' or '.', starting and ending with a letter or digit`)},
		},
		{
			name: "a traffic policy sets at least one field",
			yaml: drDoc("host: r\ntrafficPolicy: {}"),
			want: []string{e(`spec.trafficPolicy: must set at least one field`)},
		},
		{
			name: "a port-level policy sets a port and a field",
			yaml: drDoc("host: r\ntrafficPolicy: {portLevelSettings: [{}]}"),
			want: []string{
				e(`spec.trafficPolicy.portLevelSettings[0].port: is required`),
				e(`spec.trafficPolicy.portLevelSettings[0]: must set at least one of loadBalancer, connectionPool, outlierDetection, tls`),
			},
		},
		{
			name: "tunnel and proxyProtocol are exclusive",
			yaml: drDoc("host: r\ntrafficPolicy: {tunnel: {targetHost: a.com, targetPort: 8080}, proxyProtocol: {}}"),
			want: []string{e(`spec.trafficPolicy: cannot set both tunnel and proxyProtocol`)},
		},
		{
			name: "connection pool limits are not negative",
			yaml: drDoc("host: r\ntrafficPolicy: {connectionPool: {tcp: {maxConnections: -1}}}"),
			want: []string{e(`spec.trafficPolicy.connectionPool.tcp.maxConnections: -1 must not be negative`)},
		},
		{
			name: "a connection pool sets tcp or http",
			yaml: drDoc("host: r\ntrafficPolicy: {connectionPool: {}}"),
			want: []string{e(`spec.trafficPolicy.connectionPool: must set tcp or http`)},
		},
		{name: "a tcp idle timeout of 0s disables it", yaml: drDoc("host: r\ntrafficPolicy: {connectionPool: {tcp: {idleTimeout: 0s}}}")},
		{
			name: "h2 upgrade with the client protocol is contradictory",
			yaml: drDoc("host: r\ntrafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE, useClientProtocol: true}}}"),
			want: []string{e(`spec.trafficPolicy.connectionPool.http.useClientProtocol: true cannot be set with h2UpgradePolicy: UPGRADE`)},
		},
		{
			name: "http2 keepalive needs interval and timeout",
			yaml: drDoc("host: r\ntrafficPolicy: {connectionPool: {http: {http2KeepAlive: {interval: 10s}}}}"),
			want: []string{e(`spec.trafficPolicy.connectionPool.http.http2KeepAlive.timeout: is required`)},
		},
		{
			name: "outlier ejection percentages are within 0..100",
			yaml: drDoc("host: r\ntrafficPolicy: {outlierDetection: {maxEjectionPercent: 120}}"),
			want: []string{e(`spec.trafficPolicy.outlierDetection.maxEjectionPercent: 120 is out of range [0, 100]`)},
		},
		{
			name: "local-origin failures need split external errors",
			yaml: drDoc("host: r\ntrafficPolicy: {outlierDetection: {consecutiveLocalOriginFailures: 5}}"),
			want: []string{e(`spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures: needs splitExternalLocalOriginErrors: true`)},
		},
		{
			name: "outlier intervals are at least 1ms",
			yaml: drDoc("host: r\ntrafficPolicy: {outlierDetection: {interval: 0s}}"),
			want: []string{e(`spec.trafficPolicy.outlierDetection.interval: 0s is too short: durations must be at least 1ms`)},
		},
		{
			name: "consecutiveErrors is deprecated",
			yaml: drDoc("host: r\ntrafficPolicy: {outlierDetection: {consecutiveErrors: 5}}"),
			want: []string{w(`spec.trafficPolicy.outlierDetection.consecutiveErrors: is deprecated and ignored; use consecutive5xxErrors or consecutiveGatewayErrors`)},
		},
		{
			name: "simple and consistentHash load balancing are alternatives",
			yaml: drDoc("host: r\ntrafficPolicy: {loadBalancer: {simple: RANDOM, consistentHash: {useSourceIp: true}}}"),
			want: []string{e(`spec.trafficPolicy.loadBalancer.simple: cannot be set together with "consistentHash": they are alternatives, set only one`)},
		},
		{
			name: "maglev table size is prime",
			yaml: drDoc("host: r\ntrafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 1000}}}}"),
			want: []string{e(`spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: 1000 must be a prime number (e.g. 65537)`)},
		},
		{
			name: "a hash cookie has a name",
			yaml: drDoc("host: r\ntrafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {ttl: 0s}}}}"),
			want: []string{e(`spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: is required`)},
		},
		{
			name: "top-level minimumRingSize is deprecated and exclusive with ringHash",
			yaml: drDoc("host: r\ntrafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, minimumRingSize: 1024, ringHash: {minimumRingSize: 1024}}}}"),
			want: []string{
				w(`spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize: is deprecated; use ringHash.minimumRingSize`),
				e(`spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize: cannot be set together with ringHash or maglev`),
			},
		},
		{
			name: "locality distribute weights add up to 100",
			yaml: drDoc("host: r\ntrafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: us-west/*, to: {us-west/*: 60, us-east/*: 30}}]}}}"),
			want: []string{e(`spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to: weights add up to 90; they must add up to 100`)},
		},
		{
			name: "locality failover without outlier detection is warned",
			yaml: drDoc("host: r\ntrafficPolicy: {loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: eu-west}]}}}"),
			want: []string{w(`spec.trafficPolicy.loadBalancer.localityLbSetting: failover has no effect without outlierDetection in the same policy`)},
		},
		{
			name: "locality failover names two different regions",
			yaml: drDoc("host: r\ntrafficPolicy: {outlierDetection: {interval: 1s}, loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: us-east}]}}}"),
			want: []string{e(`spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]: "us-east" fails over to itself; from and to must be different regions`)},
		},
		{
			name: "mutual client TLS needs a certificate and key",
			yaml: drDoc("host: r\ntrafficPolicy: {tls: {mode: MUTUAL}}"),
			want: []string{
				e(`spec.trafficPolicy.tls.clientCertificate: is required for MUTUAL TLS (or set credentialName)`),
				e(`spec.trafficPolicy.tls.privateKey: is required for MUTUAL TLS (or set credentialName)`),
			},
		},
		{name: "mutual client TLS from a credential needs no files", yaml: drDoc("host: r\ntrafficPolicy: {tls: {mode: MUTUAL, credentialName: client-cert}}")},
		{
			name: "insecureSkipVerify excludes CA certificates",
			yaml: drDoc("host: r\ntrafficPolicy: {tls: {mode: SIMPLE, insecureSkipVerify: true, caCertificates: /ca.pem}}"),
			want: []string{e(`spec.trafficPolicy.tls.insecureSkipVerify: true cannot be set with caCertificates, credentialName or subjectAltNames`)},
		},
		{
			name: "zone-aware failover priority takes no topology labels",
			yaml: drDoc("host: r\ntrafficPolicy: {outlierDetection: {interval: 1s}, loadBalancer: {zoneAwareLbSetting: {failoverPriority: [topology.kubernetes.io/zone]}}}"),
			want: []string{e(`spec.trafficPolicy.loadBalancer.zoneAwareLbSetting.failoverPriority[0]: "topology.kubernetes.io/zone" must not be a topology label: zone-aware balancing orders regions and zones itself`)},
		},
		{
			name: "a configmap credential lives in the DestinationRule's namespace",
			yaml: drDoc("host: r\ntrafficPolicy: {tls: {mode: SIMPLE, credentialName: 'configmap://other/ca'}}"),
			want: []string{e(`spec.trafficPolicy.tls.credentialName: "configmap://other/ca" must name a ConfigMap in this object's namespace "default" (configmap://NAME)`)},
		},
		{name: "a configmap credential in the own namespace is valid", yaml: drDoc("host: r\ntrafficPolicy: {tls: {mode: SIMPLE, credentialName: 'configmap://ca'}}")},
		{
			name: "a DestinationRule with a workload selector is exported only to its namespace",
			yaml: drDoc("host: r\nworkloadSelector: {matchLabels: {app: a}}\nexportTo: ['*']"),
			want: []string{e(`spec.exportTo: a DestinationRule with a workloadSelector cannot be exported beyond its own namespace "default"`)},
		},
	})
}

// TestValidateServiceEntryRules pins Istio's ServiceEntry and
// WorkloadEntry rules (serviceentry.md).
func TestValidateServiceEntryRules(t *testing.T) {
	e := func(s string) string { return "error: " + sePrefix + s }
	w := func(s string) string { return "warning: " + sePrefix + s }
	http := "ports: [{number: 80, name: http, protocol: HTTP}]"
	runRuleCases(t, []ruleCase{
		{name: "a ServiceEntry for an external wildcard host is valid", yaml: seDoc("hosts: ['*.foo.com']\n" + http)},
		{
			name: "a ServiceEntry needs hosts",
			yaml: seDoc(http),
			want: []string{e(`spec.hosts: needs at least one host`)},
		},
		{
			name: "a ServiceEntry host is not *",
			yaml: seDoc("hosts: ['*']\n" + http),
			want: []string{e(`spec.hosts[0]: "*" is not allowed on a ServiceEntry; name the hosts (e.g. "*.example.com")`)},
		},
		{
			name: "partial wildcard hosts are warned",
			yaml: seDoc("hosts: ['*foo.com']\n" + http),
			want: []string{w(`spec.hosts[0]: "*foo.com" is a partial wildcard, which only DYNAMIC_DNS resolution supports; write "*.foo.com"`)},
		},
		{
			name: "port numbers and names are unique",
			yaml: seDoc("hosts: [a.com]\nports: [{number: 80, name: http, protocol: HTTP}, {number: 80, name: http, protocol: HTTP}]"),
			want: []string{
				e(`spec.ports[1].name: "http" is already the name of an earlier port`),
				e(`spec.ports[1].number: 80 is already the number of an earlier port`),
			},
		},
		{
			name: "port protocols are ones Istio knows",
			yaml: seDoc("hosts: [a.com]\nports: [{number: 21, name: ftp, protocol: FTP}]"),
			want: []string{e(`spec.ports[0].protocol: "FTP" is not a protocol Istio knows (HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TLS, TCP, MONGO, REDIS, MYSQL, UDP)`)},
		},
		{
			name: "port names are DNS-1123 labels",
			yaml: seDoc("hosts: [a.com]\nports: [{number: 80, name: HTTP_1, protocol: HTTP}]"),
			want: []string{e(`spec.ports[0].name: "HTTP_1" is not a valid port name: a DNS-1123 label`)},
		},
		{
			name: "resolution NONE takes no endpoints",
			yaml: seDoc("hosts: [a.com]\n" + http + "\nendpoints: [{address: 1.1.1.1}]"),
			want: []string{e(`spec.endpoints: must be empty with resolution NONE (traffic goes to the address the client dialled)`)},
		},
		{
			name: "STATIC endpoints are IP addresses",
			yaml: seDoc("hosts: [a.com]\n" + http + "\nresolution: STATIC\nendpoints: [{address: foo.com}]"),
			want: []string{e(`spec.endpoints[0].address: "foo.com" is not an IP address (resolution STATIC needs IPs)`)},
		},
		{
			name: "endpoint ports name ports of the entry",
			yaml: seDoc("hosts: [a.com]\n" + http + "\nresolution: STATIC\nendpoints: [{address: 1.1.1.1, ports: {https: 8443}}]"),
			want: []string{e(`spec.endpoints[0].ports.https: names no port of the ServiceEntry`)},
		},
		{
			name: "DNS resolution without endpoints needs plain host names",
			yaml: seDoc("hosts: ['*.foo.com']\n" + http + "\nresolution: DNS"),
			want: []string{e(`spec.hosts[0]: "*.foo.com" must be a plain DNS name when resolution is DNS and no endpoints are given (has an invalid label "*" (letters, digits and '-', at most 63, not starting or ending with '-'))`)},
		},
		{
			name: "DNS_ROUND_ROBIN takes at most one endpoint",
			yaml: seDoc("hosts: [a.com]\n" + http + "\nresolution: DNS_ROUND_ROBIN\nendpoints: [{address: b.com}, {address: c.com}]"),
			want: []string{e(`spec.endpoints: may hold at most 1 endpoint with resolution DNS_ROUND_ROBIN`)},
		},
		{
			name: "several hosts with a TCP port cannot be told apart",
			yaml: seDoc("hosts: [a.com, b.com]\nports: [{number: 5432, name: tcp, protocol: TCP}]\nresolution: DNS"),
			want: []string{e(`spec.ports[0]: is not an HTTP or TLS port, so with several hosts and resolution DNS the hosts cannot be told apart`)},
		},
		{
			name: "CIDR addresses only with NONE or STATIC resolution",
			yaml: seDoc("hosts: [a.com]\naddresses: [10.0.0.0/8]\n" + http + "\nresolution: DNS"),
			want: []string{e(`spec.addresses: CIDR blocks are allowed only with resolution NONE or STATIC`)},
		},
		{
			name: "addresses are IPs or CIDR blocks",
			yaml: seDoc("hosts: [a.com]\naddresses: [not-an-ip]\n" + http),
			want: []string{e(`spec.addresses[0]: "not-an-ip" is not an IP address or CIDR block`)},
		},
		{
			name: "workloadSelector and endpoints are exclusive",
			yaml: seDoc("hosts: [a.com]\n" + http + "\nresolution: STATIC\nworkloadSelector: {labels: {app: a}}\nendpoints: [{address: 1.1.1.1}]"),
			want: []string{e(`spec.workloadSelector: cannot be set together with endpoints`)},
		},
		{
			name: "DYNAMIC_DNS needs wildcard hosts",
			yaml: seDoc("hosts: [a.com]\n" + http + "\nresolution: DYNAMIC_DNS"),
			want: []string{e(`spec.hosts[0]: "a.com" must be a wildcard with resolution DYNAMIC_DNS`)},
		},
		{
			name: "exportTo ~ is allowed on ServiceEntries, alone",
			yaml: seDoc("hosts: [a.com]\n" + http + "\nexportTo: ['~', other]"),
			want: []string{e(`spec.exportTo: "~" (no one) cannot be combined with other entries`)},
		},
		{name: "a WorkloadEntry with an address and labels is valid", yaml: object(KindWorkloadEntry, "we", "address: 10.0.0.5\nlabels: {app: a}\nports: {http: 8080}")},
		{
			name: "a WorkloadEntry needs an address or a network",
			yaml: object(KindWorkloadEntry, "we", "labels: {app: a}"),
			want: []string{`error: WorkloadEntry default/we: spec.address: is required`},
		},
	})
}

// TestValidateGatewayRules pins Istio's Gateway rules (gateway.md).
func TestValidateGatewayRules(t *testing.T) {
	e := func(s string) string { return "error: " + gwPrefix + s }
	w := func(s string) string { return "warning: " + gwPrefix + s }
	runRuleCases(t, []ruleCase{
		{name: "an HTTP server for any host is valid", yaml: gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]")},
		{name: "server hosts may name a namespace", yaml: gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['./*.foo.com', 'ns1/a.foo.com', '*/b.foo.com']}]")},
		{
			name: "a Gateway needs servers",
			yaml: gwDoc("selector: {istio: ingressgateway}"),
			want: []string{e(`spec.servers: needs at least one server`)},
		},
		{
			name: "server hosts are fully qualified",
			yaml: gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [reviews]}]"),
			want: []string{e(`spec.servers[0].hosts[0]: "reviews" uses a short name; Gateway hosts must be fully qualified (e.g. "reviews.example.com")`)},
		},
		{
			name: "server hosts take no partial wildcards",
			yaml: gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*foo.com']}]"),
			want: []string{e(`spec.servers[0].hosts[0]: "*foo.com" is a partial wildcard, which Gateways do not allow; write "*.foo.com"`)},
		},
		{
			name: "server host namespaces are valid names",
			yaml: gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['bad_ns/a.com']}]"),
			want: []string{e(`spec.servers[0].hosts[0]: "bad_ns/a.com" has an invalid namespace "bad_ns"`)},
		},
		{
			name: "port names are unique across servers",
			yaml: gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}, {port: {number: 8080, name: http, protocol: HTTP}, hosts: ['*']}]"),
			want: []string{e(`spec.servers[1].port.name: "http" is already the port name of spec.servers[0]; port names must be unique in a Gateway`)},
		},
		{
			name: "targetPort has no place on a Gateway",
			yaml: gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP, targetPort: 8080}, hosts: ['*']}]"),
			want: []string{e(`spec.servers[0].port.targetPort: 8080 has no effect on Gateways; remove it`)},
		},
		{
			name: "HTTPS servers need TLS settings",
			yaml: gwDoc("servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*']}]"),
			want: []string{e(`spec.servers[0].tls: is required for HTTPS servers`)},
		},
		{name: "an HTTP server may redirect to HTTPS", yaml: gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*'], tls: {httpsRedirect: true}}]")},
		{
			name: "a plain HTTP server takes no certificates",
			yaml: gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*'], tls: {mode: SIMPLE, credentialName: c}}]"),
			want: []string{e(`spec.servers[0].tls: on a plain-text HTTP server may only set httpsRedirect`)},
		},
		{
			name: "httpsRedirect on a non-HTTP server is warned",
			yaml: gwDoc("servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {httpsRedirect: true, mode: SIMPLE, credentialName: c}}]"),
			want: []string{w(`spec.servers[0].tls.httpsRedirect: true only has an effect on HTTP servers`)},
		},
		{
			name: "SIMPLE TLS needs a certificate and key",
			yaml: gwDoc("servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: SIMPLE, serverCertificate: /c.pem}}]"),
			want: []string{e(`spec.servers[0].tls.privateKey: is required for SIMPLE TLS (or set credentialName)`)},
		},
		{
			name: "MUTUAL TLS needs a client CA bundle",
			yaml: gwDoc("servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem}}]"),
			want: []string{e(`spec.servers[0].tls.caCertificates: is required for MUTUAL TLS (or set credentialName)`)},
		},
		{
			name: "ISTIO_MUTUAL takes no certificates",
			yaml: gwDoc("servers: [{port: {number: 15443, name: tls, protocol: TLS}, hosts: ['*'], tls: {mode: ISTIO_MUTUAL, credentialName: c}}]"),
			want: []string{e(`spec.servers[0].tls.credentialName: cannot be set with mode ISTIO_MUTUAL, which uses Istio's certificates`)},
		},
		{
			name: "PASSTHROUGH ignores certificates, with a warning",
			yaml: gwDoc("servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: ['*'], tls: {mode: PASSTHROUGH, serverCertificate: /c.pem}}]"),
			want: []string{w(`spec.servers[0].tls: mode PASSTHROUGH does not terminate TLS, so its certificates are ignored`)},
		},
		{
			name: "unknown cipher suites are ignored, with a warning",
			yaml: gwDoc("servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: SIMPLE, credentialName: c, cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256, RC4-MD5, '-AES128-SHA']}}]"),
			want: []string{w(`spec.servers[0].tls.cipherSuites[1]: "RC4-MD5" is not a cipher suite Envoy knows, so it is ignored`)},
		},
		{
			name: "one certificate source only",
			yaml: gwDoc("servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: SIMPLE, credentialName: c, serverCertificate: /c.pem, privateKey: /k.pem}}]"),
			want: []string{e(`spec.servers[0].tls: sets more than one of credentialName, credentialNames, serverCertificate/privateKey and tlsCertificates`)},
		},
		{
			name: "server protocols are ones Istio knows",
			yaml: gwDoc("servers: [{port: {number: 21, name: ftp, protocol: FTP}, hosts: ['*']}]"),
			want: []string{e(`spec.servers[0].port.protocol: "FTP" is not a protocol Istio knows (HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TLS, TCP, MONGO, REDIS, MYSQL)`)},
		},
		{
			name: "Gateway names are DNS-1123 labels (no dots)",
			yaml: object(KindGateway, "gw.a", "servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]"),
			want: []string{`error: Gateway default/gw.a: metadata.name: "gw.a" is not a valid Gateway name: a DNS-1123 label (letters, digits, '-'; no dots)`},
		},
		{
			name: "a unix socket bind takes port 0",
			yaml: gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, bind: 'unix:///var/run/gw.sock', hosts: ['*']}]"),
			want: []string{e(`spec.servers[0].port.number: 80 must be 0 when binding a unix socket`)},
		},
	})
}
