/// Puts chunked events back together: pieces by sender and event, oldest first, at most
/// `maxUnfinished` events at a time (the oldest unfinished are from senders that died mid-event).
struct ChunkAssembler {
    var maxUnfinished = 64
    private var chunks: [String: [Int: String]] = [:]
    private var order: [String] = []

    /// Adds piece `index` of `count` of event `key`; the whole text once every piece is in.
    mutating func add(_ piece: Substring, index: Int, count: Int, key: String) -> String? {
        if chunks[key] == nil {
            order.append(key)
            while order.count > maxUnfinished { chunks[order.removeFirst()] = nil }
        }
        chunks[key, default: [:]][index] = String(piece)
        guard let pieces = chunks[key], pieces.count == count else { return nil }
        chunks[key] = nil
        order.removeAll { $0 == key }
        return (0..<count).compactMap { pieces[$0] }.joined()
    }

    /// Forgets every unfinished event (reception restarted: their missing pieces never come).
    mutating func reset() {
        chunks.removeAll()
        order.removeAll()
    }

    var unfinished: Int { chunks.count }
}
