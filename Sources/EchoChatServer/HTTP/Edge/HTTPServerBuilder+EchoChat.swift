import HummingbirdCore
import HummingbirdWebSocket
import NIOCore

extension HTTPServerBuilder {
    /// HTTP/1 with the WebSocket upgrade at `/api/ws`, behind EchoChat's edge: connection limits,
    /// header deadlines, and every malformed request answered.
    static func echoChat(_ server: ServerConfig, gateway: RealTimeGateway, metrics: HostMetrics) -> HTTPServerBuilder {
        let limits = EdgeLimits(
            headerTimeout: .seconds(Int64(server.httpHeaderTimeoutSeconds)), maxBodyBytes: VoiceController.maxWebhookBytes,
            connections: .init(total: server.maxConnections, perAddress: server.maxConnectionsPerAddress, exempt: Set(server.trustedProxies)))
        let limiter = ConnectionLimiter(limits: limits.connections)
        return HTTPServerBuilder { responder in
            GuardedHTTPChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder,
                    configuration: .init(
                        http1: .init(idleTimeout: .seconds(75)),
                        ws: .init(maxFrameSize: RealTimeGateway.maxInboundMessage, autoPing: .disabled, validateUTF8: true)),
                    shouldUpgrade: { request, channel, _ in try await gateway.shouldUpgrade(request, channel: channel) }),
                limits: limits, limiter: limiter, metrics: metrics)
        }
    }
}
