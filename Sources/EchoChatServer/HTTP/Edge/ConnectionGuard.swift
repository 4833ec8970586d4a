import Logging
import NIOCore

/// Where a connection is between requests, shared by its two edge handlers (both run on the
/// connection's event loop).
final class ConnectionPhase {
    enum Phase {
        /// Waiting for a request head (the first, or the next on a keep-alive connection).
        case awaitingHead
        /// A head arrived; its body and answer are the router's business.
        case inRequest
        /// The connection asked to become a WebSocket: no HTTP deadlines apply any more.
        case upgrading
    }

    private(set) var phase = Phase.awaitingHead
    private var onHead: () -> Void = {}
    private var onEnd: () -> Void = {}

    /// What the guard does when a head arrives (its deadline is over) and when a request ends.
    func observe(head: @escaping () -> Void, end: @escaping () -> Void) {
        onHead = head
        onEnd = end
    }

    func headArrived(upgrading: Bool) {
        phase = upgrading ? .upgrading : .inRequest
        onHead()
    }

    func requestEnded() {
        guard case .inRequest = phase else { return }
        phase = .awaitingHead
        onEnd()
    }
}

/// The first handler of every connection, on raw bytes: refuses a connection beyond the
/// connection limits at once, closes one that sends nothing before its first request, and
/// answers 408 and closes one whose request head does not complete within the header deadline
/// from its first byte (a header trickled a byte at a time, say).
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limiter: ConnectionLimiter
    private let headerTimeout: TimeAmount
    private let phase: ConnectionPhase
    private let metrics: HostMetrics
    private var address: String?
    private var isAdmitted = false
    private var deadline: Scheduled<Void>?
    private var sawBytes = false

    init(limiter: ConnectionLimiter, headerTimeout: TimeAmount, phase: ConnectionPhase, metrics: HostMetrics) {
        self.limiter = limiter
        self.headerTimeout = headerTimeout
        self.phase = phase
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        phase.observe(
            head: { [weak self] in
                self?.deadline?.cancel()
                self?.deadline = nil
            },
            end: { [weak self] in self?.sawBytes = false })
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard !isAdmitted else { return }
        isAdmitted = true
        let peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        if let refusal = limiter.open(from: peer) {
            metrics.recordConnectionRefused(refusal.rawValue)
            Self.end(context)
            return
        }
        address = peer
        arm(context)  // the idle deadline before the first request
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .awaitingHead = phase.phase, !sawBytes {
            // The first byte of a head: from now on the header deadline runs.
            sawBytes = true
            arm(context)
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        if let address { limiter.close(from: address) }
        address = nil
        context.fireChannelInactive()
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: headerTimeout) {
            let (handler, context) = loopBound.value
            handler.timedOut(context)
        }
    }

    private func timedOut(_ context: ChannelHandlerContext) {
        deadline = nil
        guard case .awaitingHead = phase.phase, context.channel.isActive else { return }
        metrics.recordHeaderTimeout()
        guard sawBytes else { return Self.end(context) }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(EdgeResponse.timeout.bytes)).whenComplete { _ in Self.end(bound.value) }
    }

    /// Closes a connection the edge gives up on. Reported as the input closing, so that the
    /// handlers behind (an upgrade still being negotiated) end quietly rather than as a failure.
    static func end(_ context: ChannelHandlerContext) {
        context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        context.close(promise: nil)
    }
}
