import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// The limits EchoChat's edge holds every connection to.
struct EdgeLimits: Sendable {
    /// A request head must complete this long after its first byte; a new connection must start
    /// its first request within it too.
    var headerTimeout: TimeAmount
    /// The largest body any route takes (a declared larger one is refused from its header).
    var maxBodyBytes: Int
    var connections: ConnectionCounts.Limits
}

/// Hummingbird's HTTP/1 + WebSocket channel with EchoChat's edge in front of it: a
/// ``ConnectionGuard`` first in the pipeline and a ``RequestGuard`` right after the HTTP decoder.
struct GuardedHTTPChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let limits: EdgeLimits
    let limiter: ConnectionLimiter
    let metrics: HostMetrics

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let phase = ConnectionPhase()
        do {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGuard(limiter: limiter, headerTimeout: limits.headerTimeout, phase: phase, metrics: metrics), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let bound = NIOLoopBound(phase, eventLoop: channel.eventLoop)
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { [limits, metrics] value in
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(
                RequestGuard(phase: bound.value, maxBodyBytes: limits.maxBodyBytes, metrics: metrics), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
