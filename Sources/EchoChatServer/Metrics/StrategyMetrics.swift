import Metrics
import Prometheus

/// What the sub-room strategy costs and how often it fails, by reason (`out_of_fuel`,
/// `subroom_full`, …): the numbers an operator watches after loading a new module.
struct StrategyMetrics: Sendable {
    private let decisionTime: DurationHistogram
    private let fuel: ValueHistogram
    private let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        decisionTime = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "echochat", metricName: "strategy_decision", unitName: "seconds",
                helpText: "Time the sub-room strategy took for one decision, fallback included"),
            buckets: [
                .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
                .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(250),
            ])
        fuel = registry.makeValueHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "echochat", metricName: "strategy", unitName: "fuel",
                helpText: "Fuel (about one WebAssembly instruction each) one decision of a module used"),
            buckets: [1e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7, 1e8, 1e9])
    }

    func recordDecision(_ duration: Duration, fuel used: UInt64?) {
        decisionTime.record(duration)
        if let used { fuel.record(Double(used)) }
    }

    /// `echochat_strategy_info{plugin, revision} 1` for the live strategy; the replaced one's
    /// series is removed.
    func recordRevision(_ revision: String, plugin: String, replacing previous: String? = nil, plugin previousPlugin: String? = nil) {
        if let previous, let previousPlugin, previous != revision {
            registry.unregisterGauge(info(revision: previous, plugin: previousPlugin))
        }
        info(revision: revision, plugin: plugin).set(to: 1)
    }

    private func info(revision: String, plugin: String) -> Prometheus.Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "echochat", metricName: "strategy", unitName: "info", helpText: "The sub-room strategy deciding now, by plugin and revision"),
            labels: [("plugin", plugin), ("revision", revision)])
    }

    /// A failed decision, by its `reason`, and whether a fallback strategy answered instead.
    func recordFailure(reason: String, fallback: Bool) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "echochat", metricName: "strategy_failures", unitName: "total",
                helpText: "Decisions the sub-room strategy failed, by reason and by what answered instead"),
            labels: [("reason", reason), ("handled_by", fallback ? "fallback" : "refusal")]
        ).increment()
    }

    /// One real decision replayed through the shadow strategy: `agreements`, `disagreements`
    /// (a shadow failure is one), `failures` (the shadow's own) or `skipped` (the shadow fell
    /// behind and the decision was not replayed).
    func recordShadow(_ outcome: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "echochat", metricName: "strategy_shadow_\(outcome)", unitName: "total",
                helpText: "Real sub-room decisions by what the shadow strategy made of them: \(outcome)")
        ).increment()
    }

    /// Makes the shadow series appear at zero, so a dashboard sees them before the first decision.
    func prepareShadow() {
        for outcome in ShadowLedger.outcomes {
            _ = registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "echochat", metricName: "strategy_shadow_\(outcome)", unitName: "total",
                    helpText: "Real sub-room decisions by what the shadow strategy made of them: \(outcome)"))
        }
    }
}
