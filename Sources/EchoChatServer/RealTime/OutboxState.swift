import NIOCore

/// The bounds and bookkeeping of one connection's outbox, without the channel: what to do with
/// each frame handed in, and what to write when the event loop gets to the connection.
///
/// Frames handed to the channel count against the bounds until the socket has taken them, so a
/// client that stops reading fills the outbox (too many frames or too many bytes) and is given
/// up on instead of growing without bound. One frame larger than `maxBytes` still goes out when
/// nothing else is waiting.
struct OutboxState {
    enum EnqueueAction: Equatable {
        /// Queued behind a drain already scheduled, or ignored after the end.
        case none
        /// Queued; the caller schedules a drain on the connection's event loop.
        case scheduleDrain
        /// The bounds are exceeded: the queue ended, and the connection should be dropped.
        case overflow
    }

    /// What one drain writes.
    struct Batch: Equatable {
        var frames: [ByteBuffer] = []
        var bytes = 0
        /// A close frame to send after the frames, once.
        var close: Close?
    }

    struct Close: Equatable {
        let code: UInt16
        let reason: String
    }

    let capacity: Int
    let maxBytes: Int
    private(set) var queued: [ByteBuffer] = []
    private(set) var queuedBytes = 0
    /// Handed to the channel, not yet taken by the socket.
    private(set) var unsentFrames = 0
    private(set) var unsentBytes = 0
    private(set) var isDrainScheduled = false
    private(set) var isFinished = false
    private(set) var closing: Close?

    init(capacity: Int, maxBytes: Int) {
        self.capacity = capacity
        self.maxBytes = maxBytes
    }

    /// Whether frames are still taken (not finished, no close asked for).
    var isOpen: Bool { !isFinished && closing == nil }

    mutating func enqueue(_ frame: OutboundFrame) -> EnqueueAction {
        guard isOpen else { return .none }
        switch frame {
        case .close(let code, let reason):
            closing = Close(code: code, reason: reason)
        case .text(let payload):
            let frames = queued.count + unsentFrames
            let bytes = queuedBytes + unsentBytes
            guard frames < capacity, bytes + payload.readableBytes <= maxBytes || frames == 0 else {
                finish()
                return .overflow
            }
            queued.append(payload)
            queuedBytes += payload.readableBytes
        }
        guard !isDrainScheduled else { return .none }
        isDrainScheduled = true
        return .scheduleDrain
    }

    /// Takes everything queued for one write; the frames count as unsent until ``written(_:)``.
    mutating func takeBatch() -> Batch {
        let batch = Batch(frames: queued, bytes: queuedBytes, close: isFinished ? nil : closing)
        queued.removeAll(keepingCapacity: true)
        queuedBytes = 0
        unsentFrames += batch.frames.count
        unsentBytes += batch.bytes
        isDrainScheduled = false
        if batch.close != nil { isFinished = true }
        return batch
    }

    /// The socket took a batch's frames.
    mutating func written(_ batch: Batch) {
        unsentFrames -= batch.frames.count
        unsentBytes -= batch.bytes
    }

    /// Ends the queue: nothing more is written.
    mutating func finish() {
        isFinished = true
        queued.removeAll()
        queuedBytes = 0
    }
}
