import NIOCore
import NIOHTTP1

/// The handler right after the HTTP/1 decoder: answers every parser error (400, 431 for a header
/// that is too large, 505 for another HTTP version) and a declared body larger than any route
/// takes (413, at once from the header) with the JSON error, then closes; a body that runs on
/// past that size is cut off. It tells ``ConnectionGuard`` when heads arrive and requests end,
/// and leaves the pipeline when the connection asks to become a WebSocket.
final class RequestGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let phase: ConnectionPhase
    private let maxBodyBytes: Int
    private let metrics: HostMetrics
    private var bodyBytes = 0
    private var isAnswering = false

    init(phase: ConnectionPhase, maxBodyBytes: Int, metrics: HostMetrics) {
        self.phase = phase
        self.maxBodyBytes = maxBodyBytes
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isAnswering else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            bodyBytes = 0
            if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > maxBodyBytes {
                return answer(.bodyTooLarge(limit: maxBodyBytes), context: context)
            }
            let upgrading = head.headers["upgrade"].contains { $0.lowercased().contains("websocket") }
            phase.headArrived(upgrading: upgrading)
            context.fireChannelRead(data)
            // WebSocket frames are not HTTP parts: the connection's HTTP handlers are done here.
            if upgrading { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
        case .body(let body):
            bodyBytes += body.readableBytes
            // No route takes this much; whatever it answered was answered before now.
            guard bodyBytes <= maxBodyBytes else { return ConnectionGuard.end(context) }
            context.fireChannelRead(data)
        case .end:
            context.fireChannelRead(data)
            phase.requestEnded()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        answer(EdgeResponse(error), context: context)
    }

    private func answer(_ response: EdgeResponse, context: ChannelHandlerContext) {
        guard !isAnswering else { return }
        isAnswering = true
        metrics.recordEdgeRefusal(response.code)
        context.write(wrapOutboundOut(.head(response.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in ConnectionGuard.end(bound.value) }
    }
}
