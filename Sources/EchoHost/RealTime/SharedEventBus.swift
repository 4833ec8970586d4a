import EchoPluginAPI
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The bus of instances sharing one storage: events reach this instance's connections at once,
/// and every other instance through the storage's broadcasts (PostgreSQL's LISTEN/NOTIFY).
///
/// - Sending: one task sends queued events in publish order, whole events per batch, so another
///   instance sees this one's events in the order they happened. An event longer than the
///   storage's payload limit travels as numbered chunks and is put back together on arrival.
///   While storage refuses, the sender keeps retrying; beyond `maxQueued` events the oldest are
///   dropped (and counted).
/// - Receiving: events from other instances go to this instance's connections. Every event
///   carries its sender's sequence number, so a receiver notices events it never got (a dropped
///   batch, a reconnect); it then reads the messages stored meanwhile and delivers those its
///   subscribers have not had, in id order. Other kinds of missed events (edits, membership
///   changes) are not recovered; sockets re-check their sessions every 30 s regardless.
final class SharedEventBus: EventBus, Service {
    private let hub: ConnectionHub
    private let storage: any SharedStorage
    private let logger: Logger
    private let metrics: HostMetrics
    /// Builds the `message.created` events for messages read back from storage.
    private let catchUpEvents: @Sendable ([Message]) async throws -> [RoomEvent]
    /// Tells this instance's broadcasts from the others'.
    let instance = String(UInt64.random(in: 1...UInt64.max), radix: 36)

    private let outgoing = Mutex(Outgoing())
    private let wakeUps: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let incoming = Mutex(Incoming())

    /// How many events wait to be sent at most; older ones are dropped beyond it.
    static let maxQueued = 10_000
    /// How many payloads one broadcast call carries at most (whole events only).
    static let batchPayloads = 200
    /// How many delivered message ids are remembered, to skip them when catching up.
    static let recentMessages = 20_000
    /// How far below the newest id seen on the channel catching up starts: ids are handed out
    /// before commit, so another instance's message can appear a little below one already seen.
    static let catchUpMargin: Int64 = 1_000
    /// How long queued events may still be sent during a graceful shutdown.
    static let shutdownDrain: Duration = .seconds(5)

    private struct Outgoing {
        /// Queued events, each as its payloads.
        var queue: [[String]] = []
        var sequence: UInt64 = 0
    }

    private struct Incoming {
        /// Whether the newest stored message id has been read once: the point catching up starts from.
        var hasBaseline = false
        /// The newest message id seen on the channel (from any instance, this one included) or
        /// delivered by catching up: reception worked up to there.
        var newestSeen: Int64 = 0
        var recent = Set<Int64>()
        var recentOrder: [Int64] = []
        var recentStart = 0
        /// The last sequence number seen from each sender.
        var lastSequence: [String: UInt64] = [:]
        /// Chunks of long events, by sender and event, oldest first.
        var chunks: [String: [Int: String]] = [:]
        var chunkOrder: [String] = []

        /// Records `id` as delivered; false when it already was.
        mutating func markDelivered(_ id: Int64) -> Bool {
            guard recent.insert(id).inserted else { return false }
            recentOrder.append(id)
            if recentOrder.count - recentStart > SharedEventBus.recentMessages {
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
        mutating func noteSequence(_ sequence: UInt64, from sender: String) -> Bool {
            defer { lastSequence[sender] = max(lastSequence[sender] ?? 0, sequence) }
            guard let last = lastSequence[sender] else { return false }
            return sequence > last + 1
        }
    }

    init(
        hub: ConnectionHub, storage: any SharedStorage, logger: Logger, metrics: HostMetrics,
        catchUpEvents: @escaping @Sendable ([Message]) async throws -> [RoomEvent]
    ) {
        self.hub = hub
        self.storage = storage
        self.logger = logger
        self.metrics = metrics
        self.catchUpEvents = catchUpEvents
        (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: Publishing

    func publish(_ event: RoomEvent) async {
        if let id = event.messageID { _ = incoming.withLock { $0.markDelivered(id.rawValue) } }
        hub.deliver(event)
        var envelope = Envelope(instance: instance, room: event.roomID.rawValue, frame: String(buffer: event.frame))
        envelope.message = event.messageID?.rawValue
        switch event.membership {
        case .joined(let user): envelope.joined = user.rawValue
        case .left(let user): envelope.left = user.rawValue
        case nil: break
        }
        send(envelope)
    }

    func publish(_ signal: SessionSignal) async {
        hub.end(signal)
        var envelope = Envelope(instance: instance)
        switch signal {
        case .sessionEnded(let session): envelope.sessionEnded = session.rawValue
        case .userDisabled(let user): envelope.userDisabled = user.rawValue
        }
        send(envelope)
    }

    private func send(_ envelope: Envelope) {
        let limit = storage.maxBroadcastBytes
        let dropped = outgoing.withLock { state -> Int in
            state.sequence += 1
            var envelope = envelope
            envelope.sequence = state.sequence
            state.queue.append(Self.payloads(for: envelope, limit: limit))
            let excess = state.queue.count - Self.maxQueued
            if excess > 0 { state.queue.removeFirst(excess) }
            return max(excess, 0)
        }
        if dropped > 0 {
            metrics.recordBroadcastDropped(dropped)
            logger.warning("dropped queued broadcasts: storage is not taking them", metadata: ["count": "\(dropped)"])
        }
        wake.yield()
    }

    /// The envelope as one payload (`E` + its text), or as chunks (`C<instance> <event> <index>
    /// <count>` + a newline + a piece of its text) when it is too long. Pieces end on whole
    /// characters, since payloads are text.
    static func payloads(for envelope: Envelope, limit: Int) -> [String] {
        let text = envelope.text
        if text.utf8.count + 1 <= limit { return ["E" + text] }
        let pieceBytes = max(64, limit - 100)
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        var currentBytes = 0
        for scalar in text.unicodeScalars {
            let size = UTF8.width(scalar)
            if currentBytes + size > pieceBytes {
                pieces.append(String(current))
                current = String.UnicodeScalarView()
                currentBytes = 0
            }
            current.append(scalar)
            currentBytes += size
        }
        if !current.isEmpty { pieces.append(String(current)) }
        return pieces.enumerated().map { index, piece in
            "C\(envelope.instance) \(envelope.sequence) \(index) \(pieces.count)\n" + piece
        }
    }

    // MARK: Running

    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.sendQueued() }
                group.addTask {
                    do {
                        try await self.storage.receiveBroadcasts { event in await self.received(event) }
                    } catch {
                        self.logger.error("receiving broadcasts stopped", metadata: ["error": "\(error)"])
                    }
                }
                // The sender ends on shutdown, after sending what was queued; reception stops then.
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
    }

    /// Sends queued events until shutdown, then what is still queued, for at most `shutdownDrain`.
    private func sendQueued() async {
        for await _ in wakeUps {
            await sendAll(until: nil)
        }
        await sendAll(until: ContinuousClock.now + Self.shutdownDrain)
    }

    private func sendAll(until deadline: ContinuousClock.Instant?) async {
        while !Task.isCancelled {
            let batch = outgoing.withLock { state -> [String] in
                var batch: [String] = []
                var events = 0
                for event in state.queue {
                    guard batch.isEmpty || batch.count + event.count <= Self.batchPayloads else { break }
                    batch += event
                    events += 1
                }
                state.queue.removeFirst(events)
                return batch
            }
            guard !batch.isEmpty else { return }
            await broadcast(batch, until: deadline)
        }
    }

    /// Sends one batch, retrying with a growing pause while the storage refuses.
    private func broadcast(_ batch: [String], until deadline: ContinuousClock.Instant?) async {
        var pause = Duration.milliseconds(100)
        while true {
            do {
                try await storage.broadcast(batch)
                return
            } catch {
                let outOfTime = deadline.map { ContinuousClock.now + pause > $0 } ?? false
                if Task.isCancelled || outOfTime {
                    metrics.recordBroadcastDropped(batch.count)
                    logger.warning("could not broadcast events to other instances", metadata: ["count": "\(batch.count)", "error": "\(error)"])
                    return
                }
                if pause == .milliseconds(100) {
                    logger.warning("broadcasting to other instances failed; retrying", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }

    // MARK: Receiving

    private func received(_ event: BroadcastEvent) async {
        switch event {
        case .listening:
            // Pieces of events cut by the reconnect never complete.
            incoming.withLock {
                $0.chunks.removeAll()
                $0.chunkOrder.removeAll()
            }
            if incoming.withLock({ $0.hasBaseline }) {
                await catchUp(reason: "reception restarted")
            } else {
                await establishBaseline()
            }
        case .payload(let text):
            guard let (envelope, gap) = assemble(text) else { return }
            if gap { await catchUp(reason: "events from another instance went missing") }
            apply(envelope)
        }
    }

    /// Decodes a payload; returns the envelope it completes, if any, and whether events from its
    /// sender went missing before it. This instance's own broadcasts only tell how far reception
    /// has come (their message id) and go no further.
    private func assemble(_ text: String) -> (Envelope, gap: Bool)? {
        guard let kind = text.first, let newline = text.firstIndex(of: "\n") else { return nil }
        let header = text[text.index(after: text.startIndex)..<newline].split(separator: " ", omittingEmptySubsequences: false)
        guard let sender = header.first else { return nil }
        let body = text[text.index(after: newline)...]
        switch kind {
        case "E":
            guard let envelope = Envelope(header: header, frame: body) else {
                logger.warning("ignored an unreadable broadcast")
                return nil
            }
            if let id = envelope.message { incoming.withLock { $0.newestSeen = max($0.newestSeen, id) } }
            guard sender != instance else { return nil }
            let gap = incoming.withLock { $0.noteSequence(envelope.sequence, from: envelope.instance) }
            return (envelope, gap)
        case "C":
            guard sender != instance else { return nil }
            guard header.count == 4, let index = Int(header[2]), let count = Int(header[3]), count > 0, count <= 4096, (0..<count).contains(index)
            else {
                logger.warning("ignored an unreadable broadcast chunk")
                return nil
            }
            let key = "\(sender)/\(header[1])"
            let complete = incoming.withLock { state -> String? in
                if state.chunks[key] == nil {
                    state.chunkOrder.append(key)
                    // Keep at most 64 unfinished events: the oldest are from senders that died mid-event.
                    while state.chunkOrder.count > 64 { state.chunks[state.chunkOrder.removeFirst()] = nil }
                }
                state.chunks[key, default: [:]][index] = String(body)
                guard let pieces = state.chunks[key], pieces.count == count else { return nil }
                state.chunks[key] = nil
                state.chunkOrder.removeAll { $0 == key }
                return (0..<count).compactMap { pieces[$0] }.joined()
            }
            guard let complete else { return nil }
            return assemble("E" + complete)
        default:
            return nil
        }
    }

    private func apply(_ envelope: Envelope) {
        if let session = envelope.sessionEnded { hub.end(.sessionEnded(SessionID(session))) }
        if let user = envelope.userDisabled { hub.end(.userDisabled(UserID(user))) }
        guard let room = envelope.room, let frame = envelope.frame else { return }
        if let id = envelope.message, !incoming.withLock({ $0.markDelivered(id) }) { return }
        var membership: RoomEvent.MembershipChange?
        if let user = envelope.joined { membership = .joined(UserID(user)) }
        if let user = envelope.left { membership = .left(UserID(user)) }
        hub.deliver(
            RoomEvent(
                roomID: RoomID(room), frame: ByteBuffer(string: frame), membership: membership,
                messageID: envelope.message.map { MessageID(rawValue: $0) }))
    }

    /// The newest stored message when reception first starts: catching up starts from there.
    /// Until it is read, a reconnect reads it again rather than catching up from nothing.
    private func establishBaseline() async {
        do {
            let newest = try await storage.latestMessageID()?.rawValue ?? 0
            incoming.withLock {
                $0.newestSeen = max($0.newestSeen, newest)
                $0.hasBaseline = true
            }
        } catch {
            logger.warning("could not read the newest message id", metadata: ["error": "\(error)"])
        }
    }

    /// Delivers stored messages this instance's subscribers have not had, oldest first.
    private func catchUp(reason: String) async {
        var after = max(0, incoming.withLock { $0.newestSeen } - Self.catchUpMargin)
        var delivered = 0
        do {
            for _ in 0..<40 {
                let page = try await storage.messages(after: MessageID(after), limit: 500)
                guard let last = page.last else { break }
                after = last.id.rawValue
                incoming.withLock { $0.newestSeen = max($0.newestSeen, last.id.rawValue) }
                let missed = page.filter { message in
                    message.deletedAt == nil && !incoming.withLock { $0.recent.contains(message.id.rawValue) }
                }
                for event in try await catchUpEvents(missed) {
                    if let id = event.messageID, !incoming.withLock({ $0.markDelivered(id.rawValue) }) { continue }
                    hub.deliver(event)
                    delivered += 1
                }
                if page.count < 500 { break }
            }
        } catch {
            logger.warning("catching up on missed messages failed", metadata: ["error": "\(error)"])
        }
        logger.info("caught up on other instances' messages", metadata: ["reason": "\(reason)", "messages": "\(delivered)"])
    }
}

/// One event as it travels between instances: a header line of space-separated fields (the
/// sender, its sequence number, then `key=value` pairs), a newline, and the room event's frame as
/// it goes to WebSockets (JSON, which holds no raw newline), so nothing is escaped twice.
struct Envelope: Sendable, Equatable {
    var instance: String
    var sequence: UInt64 = 0
    var room: Int64?
    var frame: String?
    var message: Int64?
    var joined: Int64?
    var left: Int64?
    var sessionEnded: String?
    var userDisabled: Int64?

    init(instance: String, room: Int64? = nil, frame: String? = nil) {
        self.instance = instance
        self.room = room
        self.frame = frame
    }

    /// Parses a header split at spaces (the sender first) and the text after its newline.
    init?(header: [Substring], frame: Substring) {
        guard header.count >= 2, let sequence = UInt64(header[1]) else { return nil }
        self.init(instance: String(header[0]))
        self.sequence = sequence
        for field in header.dropFirst(2) {
            guard let equals = field.firstIndex(of: "=") else { return nil }
            let value = field[field.index(after: equals)...]
            switch field[..<equals] {
            case "r": room = Int64(value)
            case "m": message = Int64(value)
            case "j": joined = Int64(value)
            case "l": left = Int64(value)
            case "s": sessionEnded = String(value)
            case "u": userDisabled = Int64(value)
            default: break  // a field from a newer release
            }
        }
        if room != nil { self.frame = String(frame) }
    }

    /// The header line and the frame.
    var text: String {
        var header = "\(instance) \(sequence)"
        if let room { header += " r=\(room)" }
        if let message { header += " m=\(message)" }
        if let joined { header += " j=\(joined)" }
        if let left { header += " l=\(left)" }
        // Session ids are generated by EchoChat (URL-safe characters, no spaces).
        if let sessionEnded { header += " s=\(sessionEnded)" }
        if let userDisabled { header += " u=\(userDisabled)" }
        return header + "\n" + (frame ?? "")
    }
}
