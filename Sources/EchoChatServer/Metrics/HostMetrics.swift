import Metrics
import NIOCore
import Prometheus

/// The host's Prometheus metrics. Each application has its own registry, so several servers in
/// one process (tests) do not mix their counts.
struct HostMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// The sub-room strategy's decisions.
    let strategy: StrategyMetrics

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        ]
        self.factory = factory
        strategy = StrategyMetrics(registry: registry)
    }

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        Counter(
            label: "echochat_http_requests_total",
            dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory
        ).increment()
        Metrics.Timer(
            label: "echochat_http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory
        ).record(duration: duration)
    }

    /// `success`, `invalid_credentials`, `rate_limited`, `disabled`, `backend_unavailable`.
    func recordLogin(_ outcome: String) {
        Counter(label: "echochat_logins_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// `created`, `taken`, `lookalike`, `rejected`, `disabled`, `rate_limited`.
    func recordRegistration(_ outcome: String) {
        Counter(label: "echochat_registrations_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// `rotated`, `reused`, `invalid`.
    func recordRefresh(_ outcome: String) {
        Counter(label: "echochat_token_refreshes_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// A LiveKit token request's outcome: `minted`, `room_full`, `rate_limited`, `refused`.
    func recordLiveKitToken(_ outcome: String) {
        Counter(label: "echochat_livekit_tokens_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// A RoomService call's outcome: `ok`, `error` (LiveKit answered with an error), `unreachable`.
    func recordLiveKitCall(_ method: String, outcome: String) {
        Counter(label: "echochat_livekit_calls_total", dimensions: [("method", method), ("outcome", outcome)], factory: factory)
            .increment()
    }

    /// A webhook's outcome: `applied`, `duplicate`, `ignored`, `rejected`.
    func recordLiveKitWebhook(_ event: String, outcome: String) {
        Counter(label: "echochat_livekit_webhooks_total", dimensions: [("event", event), ("outcome", outcome)], factory: factory)
            .increment()
    }

    /// Open real-time connections on this instance.
    func setRealtimeConnections(_ count: Int) {
        Gauge(label: "echochat_realtime_connections", factory: factory).record(count)
    }

    /// A real-time client was disconnected because it stopped reading.
    func recordSlowDisconnect() {
        Counter(label: "echochat_realtime_slow_disconnects_total", factory: factory).increment()
    }

    /// Events that could not be sent to other instances sharing the storage.
    func recordBroadcastDropped(_ count: Int) {
        Counter(label: "echochat_broadcasts_dropped_total", factory: factory).increment(by: count)
    }

    /// A directory sync finished (`applied`) or changed nobody (`failed`, `refused_all_gone`).
    func recordDirectorySync(source: String, outcome: String, removed: Int) {
        Counter(label: "echochat_directory_syncs_total", dimensions: [("source", source), ("outcome", outcome)], factory: factory).increment()
        if removed > 0 {
            Counter(label: "echochat_directory_removed_users_total", dimensions: [("source", source)], factory: factory).increment(by: removed)
        }
    }

    func recordHeartbeatDisconnects(_ count: Int) {
        Counter(label: "echochat_realtime_heartbeat_disconnects_total", factory: factory).increment(by: count)
    }

    /// A connection refused at once: over the `total` or the `per_address` limit.
    func recordConnectionRefused(_ reason: String) {
        Counter(label: "echochat_connections_refused_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// A connection closed because its first request (or a request head) did not arrive in time.
    func recordHeaderTimeout() {
        Counter(label: "echochat_http_header_timeouts_total", factory: factory).increment()
    }

    /// A request refused at the edge before reaching the router, by its error code.
    func recordEdgeRefusal(_ code: String) {
        Counter(label: "echochat_http_edge_refusals_total", dimensions: [("code", code)], factory: factory).increment()
    }

    /// The exposition text for `/metrics`.
    func render() -> ByteBuffer {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return ByteBuffer(bytes: bytes)
    }
}

extension Metrics.Timer {
    func record(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
