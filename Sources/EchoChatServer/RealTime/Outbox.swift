import NIOCore
import NIOWebSocket
import Synchronization

/// What a connection's writer sends next.
enum OutboundFrame: Sendable, Equatable {
    /// A text frame's payload, encoded once and shared by every receiver.
    case text(ByteBuffer)
    /// Close the connection with this reason (session ended, token expired).
    case close(code: UInt16, reason: String)

    static func text(_ string: String) -> OutboundFrame { .text(ByteBuffer(string: string)) }
}

/// A connection's bounded queue of outgoing frames, written straight into its channel on the
/// channel's event loop.
///
/// Frames are queued under a lock and written in batches: everything queued when the event loop
/// gets to the connection goes out in one flush. The bounds are ``OutboxState``'s: a client that
/// stops reading is given up on, and never slows the others.
final class Outbox: Sendable {
    private let channel: any Channel
    private let state: Mutex<OutboxState>
    private let onOverflow: @Sendable () -> Void
    private let onClose: @Sendable (_ code: UInt16, _ reason: String) -> Void
    private let overflowed = Atomic<Bool>(false)

    /// A queue of at most `capacity` frames and `maxBytes` bytes of payload into `channel`.
    /// `onClose` sends a close frame once the frames queued before it are written.
    init(
        channel: any Channel, capacity: Int, maxBytes: Int = 2 << 20,
        onOverflow: @escaping @Sendable () -> Void, onClose: @escaping @Sendable (_ code: UInt16, _ reason: String) -> Void
    ) {
        self.channel = channel
        self.state = Mutex(OutboxState(capacity: capacity, maxBytes: maxBytes))
        self.onOverflow = onOverflow
        self.onClose = onClose
    }

    var eventLoop: any EventLoop { channel.eventLoop }

    /// Queues a frame and has it written soon.
    func send(_ frame: OutboundFrame) {
        if enqueue(frame) { channel.eventLoop.execute { self.drain() } }
    }

    /// Queues a frame; returns true when the caller must have ``drain()`` run on ``eventLoop``
    /// (it is not scheduled yet). On overflow, calls `onOverflow` once.
    func enqueue(_ frame: OutboundFrame) -> Bool {
        switch state.withLock({ $0.enqueue(frame) }) {
        case .none:
            return false
        case .scheduleDrain:
            return true
        case .overflow:
            if !overflowed.exchange(true, ordering: .relaxed) { onOverflow() }
            return false
        }
    }

    /// Writes everything queued in one flush; runs on ``eventLoop``.
    func drain() {
        let batch = state.withLock { $0.takeBatch() }
        if !batch.frames.isEmpty {
            let written = channel.eventLoop.makePromise(of: Void.self)
            for (index, payload) in batch.frames.enumerated() {
                channel.write(WebSocketFrame(fin: true, opcode: .text, data: payload), promise: index == batch.frames.count - 1 ? written : nil)
            }
            channel.flush()
            written.futureResult.whenComplete { _ in self.state.withLock { $0.written(batch) } }
        }
        if let close = batch.close { onClose(close.code, close.reason) }
    }

    /// Sends a WebSocket ping, outside the queue; the client's pong (or anything else it sends)
    /// shows it is still there.
    func ping() {
        guard state.withLock({ $0.isOpen }) else { return }
        let channel = channel
        channel.eventLoop.execute {
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "echochat")), promise: nil)
        }
    }

    /// Closes the connection at once.
    func drop() { channel.close(promise: nil) }

    /// Ends the queue: nothing more is written.
    func finish() {
        state.withLock { $0.finish() }
    }
}
