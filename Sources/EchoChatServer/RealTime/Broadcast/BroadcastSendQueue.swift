/// The events an instance has yet to broadcast, numbered in publish order, each as its payloads.
/// Beyond `maxQueued` events the oldest are dropped (storage is not taking them); a batch takes
/// whole events only.
struct BroadcastSendQueue {
    var maxQueued = 10_000
    var batchPayloads = 200
    private(set) var sequence: UInt64 = 0
    private var queue: [[String]] = []

    var count: Int { queue.count }

    /// Numbers the envelope, queues its payloads; returns how many old events were dropped.
    mutating func enqueue(_ envelope: Envelope, limit: Int) -> Int {
        sequence += 1
        var envelope = envelope
        envelope.sequence = sequence
        queue.append(envelope.payloads(limit: limit))
        let excess = queue.count - maxQueued
        if excess > 0 { queue.removeFirst(excess) }
        return max(excess, 0)
    }

    /// The next batch: whole events, at most `batchPayloads` payloads unless one event has more.
    mutating func takeBatch() -> [String] {
        var batch: [String] = []
        var events = 0
        for event in queue {
            guard batch.isEmpty || batch.count + event.count <= batchPayloads else { break }
            batch += event
            events += 1
        }
        queue.removeFirst(events)
        return batch
    }
}
