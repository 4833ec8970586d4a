/// What an instance makes of the broadcasts it receives, without the I/O: which events to hand
/// to its connections, when events from another instance went missing (a gap in its sequence
/// numbers, or a restarted reception) so that stored messages must be caught up on, and which
/// messages its connections already had.
struct BroadcastReceiver {
    enum Action: Equatable {
        /// Hand the envelope's room event or session signal to this instance's connections, once
        /// ``claim(_:)`` says it was not delivered yet (a catch-up asked for before it may have).
        case deliver(Envelope)
        /// Read the messages stored since ``catchUpStart`` and deliver those not had yet.
        case catchUp(reason: String)
        /// Read the newest stored message id: catching up starts from there.
        case readBaseline
        /// A payload that could not be read (logged, then ignored).
        case unreadable(String)
    }

    /// This instance's own name: its broadcasts only tell how far reception has come.
    let instance: String
    /// How many delivered message ids are remembered, to skip them when catching up.
    var recentLimit = 20_000
    /// How far below the newest id seen catching up starts: ids are handed out before commit, so
    /// another instance's message can appear a little below one already seen.
    var catchUpMargin: Int64 = 1_000

    /// Whether the newest stored message id has been read once.
    private(set) var hasBaseline = false
    /// The newest message id seen on the channel (from any instance, this one included) or
    /// delivered by catching up: reception worked up to there.
    private(set) var newestSeen: Int64 = 0
    private var recent = Set<Int64>()
    private var recentOrder: [Int64] = []
    private var recentStart = 0
    private var lastSequence: [String: UInt64] = [:]
    private var chunks = ChunkAssembler()

    init(instance: String) {
        self.instance = instance
    }

    /// Reception (re)started.
    mutating func listening() -> [Action] {
        chunks.reset()
        return hasBaseline ? [.catchUp(reason: "reception restarted")] : [.readBaseline]
    }

    mutating func receive(_ text: String) -> [Action] {
        guard let kind = text.first, let newline = text.firstIndex(of: "\n") else { return [] }
        let header = text[text.index(after: text.startIndex)..<newline].split(separator: " ", omittingEmptySubsequences: false)
        guard let sender = header.first else { return [] }
        let body = text[text.index(after: newline)...]
        switch kind {
        case "E":
            guard let envelope = Envelope(header: header, frame: body) else { return [.unreadable("ignored an unreadable broadcast")] }
            if let id = envelope.message { saw(id) }
            guard sender != instance else { return [] }
            var actions: [Action] = []
            if noteSequence(envelope.sequence, from: envelope.instance) { actions.append(.catchUp(reason: "events from another instance went missing")) }
            actions.append(.deliver(envelope))
            return actions
        case "C":
            guard sender != instance else { return [] }
            guard header.count == 4, let index = Int(header[2]), let count = Int(header[3]), count > 0, count <= 4096, (0..<count).contains(index)
            else {
                return [.unreadable("ignored an unreadable broadcast chunk")]
            }
            guard let complete = chunks.add(body, index: index, count: count, key: "\(sender)/\(header[1])") else { return [] }
            return receive("E" + complete)
        default:
            return []
        }
    }

    /// The newest stored message when reception first started.
    mutating func setBaseline(_ newest: Int64) {
        saw(newest)
        hasBaseline = true
    }

    /// Where catching up starts reading.
    var catchUpStart: Int64 { max(0, newestSeen - catchUpMargin) }

    /// A message id seen on the channel or read while catching up.
    mutating func saw(_ id: Int64) {
        newestSeen = max(newestSeen, id)
    }

    func wasDelivered(_ id: Int64) -> Bool { recent.contains(id) }

    /// Whether to deliver `envelope` now: true for signals, and for a message not delivered yet
    /// (it is then recorded as delivered).
    mutating func claim(_ envelope: Envelope) -> Bool {
        envelope.message.map { markDelivered($0) } ?? true
    }

    /// Records `id` as delivered; false when it already was.
    mutating func markDelivered(_ id: Int64) -> Bool {
        guard recent.insert(id).inserted else { return false }
        recentOrder.append(id)
        if recentOrder.count - recentStart > recentLimit {
            recent.remove(recentOrder[recentStart])
            recentStart += 1
            if recentStart > 4096 {
                recentOrder.removeFirst(recentStart)
                recentStart = 0
            }
        }
        return true
    }

    /// Notes `sequence` from `sender`; true when events from it went missing before this one.
    private mutating func noteSequence(_ sequence: UInt64, from sender: String) -> Bool {
        defer { lastSequence[sender] = max(lastSequence[sender] ?? 0, sequence) }
        guard let last = lastSequence[sender] else { return false }
        return sequence > last + 1
    }
}
