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

    /// A failed decision, by its `reason`, and whether a fallback strategy answered instead.
    func recordFailure(reason: String, fallback: Bool) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "echochat", metricName: "strategy_failures", unitName: "total",
                helpText: "Decisions the sub-room strategy failed, by reason and by what answered instead"),
            labels: [("reason", reason), ("handled_by", fallback ? "fallback" : "refusal")]
        ).increment()
    }
}
