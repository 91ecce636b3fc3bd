package route

import (
	"math"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/internal/host"
)

// destinationRule applies Istio's DestinationRule rules
// (destinationrule.md).
func (v *validator) destinationRule(dr *DestinationRule) {
	v.object(&dr.Meta, KindDestinationRule)
	v.metaName(&dr.Meta, KindDestinationRule)
	s := dr.Spec
	if s == nil {
		v.errf("spec-required", field("spec"), "", "is required")
		return
	}
	v.hostName("host", field("spec.host"), s.Host, false)
	v.trafficPolicy(field("spec.trafficPolicy"), s.TrafficPolicy)
	names := map[string]bool{}
	for i, ss := range s.Subsets {
		f := fieldAt("spec.subsets", i)
		if ss == nil {
			v.errf("null", f, "", "must not be null")
			continue
		}
		if names[ss.Name] {
			v.errf("subset-duplicate", f.dot(".name"), q(ss.Name), "is already the name of an earlier subset")
		}
		names[ss.Name] = true
		switch {
		case ss.Name == "":
			v.errf("subset-name", f.dot(".name"), "", "is required")
		case !host.IsDNS1123Label(ss.Name):
			v.errf("subset-name", f.dot(".name"), q(ss.Name), "is not a valid subset name: a DNS-1123 label")
		}
		v.labels(f.dot(".labels"), ss.Labels)
		v.trafficPolicy(f.dot(".trafficPolicy"), ss.TrafficPolicy)
	}
	v.exportTo(field("spec.exportTo"), dr.Namespace, s.ExportTo, false, s.WorkloadSelector != nil)
	if ws := s.WorkloadSelector; ws != nil {
		v.selector(field("spec.workloadSelector.matchLabels"), ws.MatchLabels)
	}
}

// selector checks workload selector labels: no empty keys, no wildcards.
func (v *validator) selector(f fieldPath, labels map[string]string) {
	for _, k := range sortedKeys(labels) {
		if k == "" {
			v.errf("selector", f, "", "has an empty label key")
		}
		if strings.Contains(k, "*") || strings.Contains(labels[k], "*") {
			v.errf("selector", f.key("", k), q(labels[k]), "has a wildcard, which selectors do not support")
		}
	}
}

// trafficPolicy checks a TrafficPolicy (top level or subset).
func (v *validator) trafficPolicy(f fieldPath, p *networking.TrafficPolicy) {
	if p == nil {
		return
	}
	if p.OutlierDetection == nil && p.ConnectionPool == nil && p.LoadBalancer == nil && p.Tls == nil &&
		p.PortLevelSettings == nil && p.Tunnel == nil && p.ProxyProtocol == nil && p.RetryBudget == nil {
		v.errf("traffic-policy-empty", f, "", "must set at least one field")
		return
	}
	if p.Tunnel != nil && p.ProxyProtocol != nil {
		v.errf("traffic-policy-conflict", f, "", "cannot set both tunnel and proxyProtocol")
		return
	}
	v.policyBlocks(f, p.OutlierDetection, p.ConnectionPool, p.LoadBalancer, p.Tls)
	for i, pl := range p.PortLevelSettings {
		pf := f.at(".portLevelSettings", i)
		if pl == nil {
			v.errf("null", pf, "", "must not be null")
			continue
		}
		if pl.Port == nil {
			v.errf("port", pf.dot(".port"), "", "is required")
		}
		if pl.OutlierDetection == nil && pl.ConnectionPool == nil && pl.LoadBalancer == nil && pl.Tls == nil {
			v.errf("traffic-policy-empty", pf, "", "must set at least one of loadBalancer, connectionPool, outlierDetection, tls")
			continue
		}
		v.policyBlocks(pf, pl.OutlierDetection, pl.ConnectionPool, pl.LoadBalancer, pl.Tls)
	}
	if t := p.Tunnel; t != nil {
		if t.Protocol != "" && t.Protocol != "CONNECT" && t.Protocol != "POST" {
			v.errf("tunnel", f.dot(".tunnel.protocol"), q(t.Protocol), `must be "CONNECT" or "POST"`)
		}
		if host.ValidateFQDN(t.TargetHost) != nil && !host.IsIP(t.TargetHost) {
			v.errf("tunnel", f.dot(".tunnel.targetHost"), q(t.TargetHost), "must be a host name or an IP address")
		}
		v.port(f.dot(".tunnel.targetPort"), t.TargetPort)
	}
	if pp := p.ProxyProtocol; pp != nil && pp.Version != 0 && pp.Version != 1 {
		v.errf("proxy-protocol", f.dot(".proxyProtocol.version"), num(int32(pp.Version)), "is not V1 or V2")
	}
}

// policyBlocks checks the four blocks a traffic policy and each of its
// port-level settings share, under field f.
func (v *validator) policyBlocks(f fieldPath, od *networking.OutlierDetection, cp *networking.ConnectionPoolSettings, lb *networking.LoadBalancerSettings, tls *networking.ClientTLSSettings) {
	v.outlier(f.dot(".outlierDetection"), od)
	v.connectionPool(f.dot(".connectionPool"), cp)
	v.loadBalancer(f.dot(".loadBalancer"), lb, od)
	v.clientTLS(f.dot(".tls"), tls)
}

// outlier checks OutlierDetection.
func (v *validator) outlier(f fieldPath, o *networking.OutlierDetection) {
	if o == nil {
		return
	}
	v.duration(f.dot(".baseEjectionTime"), o.BaseEjectionTime)
	v.duration(f.dot(".interval"), o.Interval)
	//lint:ignore SA1019 validation warns about the deprecated field
	if o.ConsecutiveErrors != 0 {
		v.warnf("deprecated-field", f.dot(".consecutiveErrors"), "", "is deprecated and ignored; use consecutive5xxErrors or consecutiveGatewayErrors")
	}
	if !o.SplitExternalLocalOriginErrors && o.ConsecutiveLocalOriginFailures.GetValue() > 0 {
		v.errf("outlier", f.dot(".consecutiveLocalOriginFailures"), "", "needs splitExternalLocalOriginErrors: true")
	}
	v.intPercent(f.dot(".maxEjectionPercent"), o.MaxEjectionPercent)
	v.intPercent(f.dot(".minHealthPercent"), o.MinHealthPercent)
}

// connectionPool checks ConnectionPoolSettings.
func (v *validator) connectionPool(f fieldPath, c *networking.ConnectionPoolSettings) {
	if c == nil {
		return
	}
	if c.Http == nil && c.Tcp == nil {
		v.errf("connection-pool-empty", f, "", "must set tcp or http")
		return
	}
	nonNeg := func(f fieldPath, n int32) {
		if n < 0 {
			v.errf("connection-pool", f, num(n), "must not be negative")
		}
	}
	if h := c.Http; h != nil {
		hf := f.dot(".http")
		nonNeg(hf.dot(".http1MaxPendingRequests"), h.Http1MaxPendingRequests)
		nonNeg(hf.dot(".http2MaxRequests"), h.Http2MaxRequests)
		nonNeg(hf.dot(".maxRequestsPerConnection"), h.MaxRequestsPerConnection)
		nonNeg(hf.dot(".maxRetries"), h.MaxRetries)
		nonNeg(hf.dot(".maxConcurrentStreams"), h.MaxConcurrentStreams)
		v.duration(hf.dot(".idleTimeout"), h.IdleTimeout)
		if h.H2UpgradePolicy == networking.ConnectionPoolSettings_HTTPSettings_UPGRADE && h.UseClientProtocol {
			v.errf("connection-pool", hf.dot(".useClientProtocol"), "true", "cannot be set with h2UpgradePolicy: UPGRADE")
		}
		if ka := h.Http2KeepAlive; ka != nil {
			if ka.Interval == nil {
				v.errf("connection-pool", hf.dot(".http2KeepAlive.interval"), "", "is required")
			}
			if ka.Timeout == nil {
				v.errf("connection-pool", hf.dot(".http2KeepAlive.timeout"), "", "is required")
			}
			v.duration(hf.dot(".http2KeepAlive.interval"), ka.Interval)
			v.duration(hf.dot(".http2KeepAlive.timeout"), ka.Timeout)
		}
	}
	if t := c.Tcp; t != nil {
		tf := f.dot(".tcp")
		nonNeg(tf.dot(".maxConnections"), t.MaxConnections)
		v.duration(tf.dot(".connectTimeout"), t.ConnectTimeout)
		v.duration(tf.dot(".maxConnectionDuration"), t.MaxConnectionDuration)
		if t.IdleTimeout != nil && t.IdleTimeout.AsDuration().Milliseconds() != 0 {
			v.duration(tf.dot(".idleTimeout"), t.IdleTimeout) // 0s disables it
		}
		if ka := t.TcpKeepalive; ka != nil {
			v.duration(tf.dot(".tcpKeepalive.time"), ka.Time)
			v.duration(tf.dot(".tcpKeepalive.interval"), ka.Interval)
		}
	}
}

// loadBalancer checks LoadBalancerSettings.
func (v *validator) loadBalancer(f fieldPath, lb *networking.LoadBalancerSettings, outlier *networking.OutlierDetection) {
	if lb == nil {
		return
	}
	if ch := lb.GetConsistentHash(); ch != nil {
		cf := f.dot(".consistentHash")
		if c := ch.GetHttpCookie(); c != nil {
			if c.Name == "" {
				v.errf("lb-cookie", cf.dot(".httpCookie.name"), "", "is required")
			}
			seen := map[string]bool{}
			for i, a := range c.Attributes {
				ai := cf.at(".httpCookie.attributes", i)
				af := ai.dot(".name")
				switch {
				case a.GetName() == "":
					v.errf("lb-cookie", af, "", "must not be empty")
				case seen[a.GetName()]:
					v.errf("lb-cookie", af, q(a.GetName()), "is already the name of an earlier attribute")
				}
				seen[a.GetName()] = true
			}
		}
		//lint:ignore SA1019 validation warns about the deprecated field
		if ch.MinimumRingSize != 0 {
			v.warnf("deprecated-field", cf.dot(".minimumRingSize"), "", "is deprecated; use ringHash.minimumRingSize")
			if ch.GetHashAlgorithm() != nil {
				v.errf("lb-hash", cf.dot(".minimumRingSize"), "", "cannot be set together with ringHash or maglev")
			}
		}
		if ml := ch.GetMaglev(); ml != nil {
			mf := cf.dot(".maglev.tableSize")
			switch {
			case ml.TableSize == 0:
				v.errf("lb-maglev", mf, "", "is required")
			case ml.TableSize >= 5000011:
				v.errf("lb-maglev", mf, num(ml.TableSize), "must be less than 5000011")
			case !isPrime(ml.TableSize):
				v.errf("lb-maglev", mf, num(ml.TableSize), "must be a prime number (e.g. 65537)")
			}
		}
	}
	if lb.LocalityLbSetting != nil && lb.ZoneAwareLbSetting != nil {
		v.errf("lb-locality", f, "", "cannot set both localityLbSetting and zoneAwareLbSetting")
	}
	v.localityLB(f.dot(".localityLbSetting"), lb.LocalityLbSetting, outlier)
	v.zoneAwareLB(f.dot(".zoneAwareLbSetting"), lb.ZoneAwareLbSetting, outlier)
	if w := lb.Warmup; w != nil {
		if w.Duration == nil {
			v.errf("lb-warmup", f.dot(".warmup.duration"), "", "is required")
		}
		v.duration(f.dot(".warmup.duration"), w.Duration)
		if w.MinimumPercent.GetValue() > 100 {
			v.errf("lb-warmup", f.dot(".warmup.minimumPercent"), float(w.MinimumPercent.GetValue()), "is out of range [0, 100]")
		}
		if w.Aggression != nil && w.Aggression.GetValue() <= 0 {
			v.errf("lb-warmup", f.dot(".warmup.aggression"), float(w.Aggression.GetValue()), "must be greater than 0")
		}
	}
	//lint:ignore SA1019 validation checks the deprecated field is not combined
	if lb.Warmup != nil && lb.WarmupDurationSecs != nil {
		v.errf("lb-warmup", f.dot(".warmupDurationSecs"), "", "cannot be set together with warmup")
	}
}

// localityLB checks LocalityLoadBalancerSetting.
func (v *validator) localityLB(f fieldPath, l *networking.LocalityLoadBalancerSetting, outlier *networking.OutlierDetection) {
	if l == nil {
		return
	}
	if len(l.Distribute) > 0 && len(l.Failover) > 0 {
		v.errf("lb-locality", f, "", "cannot set both distribute and failover")
		return
	}
	if len(l.Failover) > 0 {
		for i, p := range l.FailoverPriority {
			switch p {
			case "topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone":
				v.errf("lb-locality", f.at(".failoverPriority", i), q(p), "cannot be a topology label when failover is set")
			}
		}
	}
	for i, d := range l.Distribute {
		df := f.at(".distribute", i)
		var total uint32
		for _, loc := range sortedKeys(d.To) {
			w := d.To[loc]
			if w == 0 || w > 100 {
				v.errf("lb-locality", df.key(".to", loc), num(w), "is out of range [1, 100]")
			}
			total += w
		}
		if total != 100 {
			v.errf("lb-locality", df.dot(".to"), "", "weights add up to %d; they must add up to 100", total)
		}
		for _, loc := range append([]string{d.From}, sortedKeys(d.To)...) {
			if msg := localityProblem(loc); msg != "" {
				v.errf("lb-locality", df, q(loc), "%s", msg)
			}
		}
	}
	if (len(l.Failover) > 0 || len(l.FailoverPriority) > 0) && outlier == nil {
		v.warnf("lb-locality-outlier", f, "", "failover has no effect without outlierDetection in the same policy")
	}
	for i, fo := range l.Failover {
		v.failover(f.at(".failover", i), fo.From, fo.To, "")
	}
}

// zoneAwareLB checks ZoneAwareLoadBalancerSetting: region, zone and
// subzone are implicit, so failover names regions and failoverPriority no
// topology label.
func (v *validator) zoneAwareLB(f fieldPath, z *networking.ZoneAwareLoadBalancerSetting, outlier *networking.OutlierDetection) {
	if z == nil {
		return
	}
	for i, p := range z.FailoverPriority {
		switch p {
		case "topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone":
			v.errf("lb-locality", f.at(".failoverPriority", i), q(p), "must not be a topology label: zone-aware balancing orders regions and zones itself")
		}
	}
	if (len(z.Failover) > 0 || len(z.FailoverPriority) > 0) && outlier == nil {
		v.warnf("lb-locality-outlier", f, "", "failover has no effect without outlierDetection in the same policy")
	}
	for i, fo := range z.Failover {
		v.failover(f.at(".failover", i), fo.From, fo.To, "; zones fail over automatically")
	}
}

// failover checks one failover entry (field f) from region from to region
// to, as both locality and zone-aware settings take it; regionHint is
// added to the message for a zone in from or to.
func (v *validator) failover(f fieldPath, from, to, regionHint string) {
	switch {
	case from == to:
		v.errf("lb-locality", f, q(from), "fails over to itself; from and to must be different regions")
	case strings.Contains(from, "/") || strings.Contains(to, "/"):
		v.errf("lb-locality", f, "", "must name regions only (no \"/\")%s", regionHint)
	case strings.Contains(from, "*") || strings.Contains(to, "*"):
		v.errf("lb-locality", f, "", "must not contain a \"*\" wildcard")
	}
}

// localityProblem checks a "region/zone/subzone" locality with an optional
// trailing "*"; it returns "" when valid.
func localityProblem(loc string) string {
	if n := strings.Count(loc, "*"); n > 1 || n == 1 && !strings.HasSuffix(loc, "*") {
		return "may have one \"*\" wildcard, at the end"
	}
	for _, part := range strings.SplitN(loc, "/", 3) {
		if part == "" {
			return "has an empty region, zone or subzone"
		}
	}
	return ""
}

// clientTLS checks ClientTLSSettings.
func (v *validator) clientTLS(f fieldPath, t *networking.ClientTLSSettings) {
	if t == nil {
		return
	}
	if cm, ok := strings.CutPrefix(t.CredentialName, "configmap://"); ok {
		ns, name, qualified := strings.Cut(cm, "/")
		if !qualified {
			ns, name = v.ref.Namespace, cm
		}
		if name == "" || ns != v.ref.Namespace {
			v.errf("tls", f.dot(".credentialName"), q(t.CredentialName), "must name a ConfigMap in this object's namespace %q (configmap://NAME)", v.ref.Namespace)
		}
	}
	if t.GetInsecureSkipVerify().GetValue() {
		if t.Mode == networking.ClientTLSSettings_SIMPLE && (t.CaCertificates != "" || t.CredentialName != "" || t.SubjectAltNames != nil) {
			v.errf("tls", f.dot(".insecureSkipVerify"), "true", "cannot be set with caCertificates, credentialName or subjectAltNames")
		}
		if t.Mode == networking.ClientTLSSettings_MUTUAL && (t.CaCertificates != "" || t.SubjectAltNames != nil) {
			v.errf("tls", f.dot(".insecureSkipVerify"), "true", "cannot be set with caCertificates or subjectAltNames")
		}
	}
	simpleOrMutual := t.Mode == networking.ClientTLSSettings_SIMPLE || t.Mode == networking.ClientTLSSettings_MUTUAL
	if simpleOrMutual && t.CredentialName != "" {
		if t.ClientCertificate != "" || t.CaCertificates != "" || t.PrivateKey != "" || t.CaCrl != "" {
			v.errf("tls", f.dot(".credentialName"), q(t.CredentialName), "cannot be set with clientCertificate, privateKey, caCertificates or caCrl")
		}
		return
	}
	if t.Mode == networking.ClientTLSSettings_MUTUAL {
		if t.ClientCertificate == "" {
			v.errf("tls", f.dot(".clientCertificate"), "", "is required for MUTUAL TLS (or set credentialName)")
		}
		if t.PrivateKey == "" {
			v.errf("tls", f.dot(".privateKey"), "", "is required for MUTUAL TLS (or set credentialName)")
		}
	}
}

// isPrime reports whether x is prime, as Envoy checks maglev table sizes.
func isPrime(x uint64) bool {
	if x != 0 && x < 4 {
		return true
	}
	if x&1 == 0 {
		return false
	}
	limit := uint64(math.Sqrt(float64(x)))
	for d := uint64(3); d <= limit; d += 2 {
		if x%d == 0 {
			return false
		}
	}
	return true
}
