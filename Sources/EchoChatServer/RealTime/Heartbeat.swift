import NIOCore
import Synchronization

/// Whether a real-time connection's client has sent anything since the last look.
final class Liveness: Sendable {
    private let heard = Atomic<Bool>(true)

    func noteHeard() { heard.store(true, ordering: .relaxed) }

    /// True when the client sent something since the previous call.
    func takeHeard() -> Bool { heard.exchange(false, ordering: .relaxed) }
}

/// Notes every read on a connection for the heartbeat. It sits first in the channel pipeline, so
/// any bytes from the client count: frames of every kind, pongs included.
final class InboundActivityHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let liveness: Liveness

    init(liveness: Liveness) {
        self.liveness = liveness
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        liveness.noteHeard()
        context.fireChannelRead(data)
    }
}
