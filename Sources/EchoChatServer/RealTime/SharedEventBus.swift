import EchoPluginAPI
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The bus of instances sharing one storage: events reach this instance's connections at once,
/// and every other instance through the storage's broadcasts (PostgreSQL's LISTEN/NOTIFY).
///
/// - Sending: one task sends queued events in publish order, whole events per batch
///   (``BroadcastSendQueue``), so another instance sees this one's events in the order they
///   happened. While storage refuses, the sender keeps retrying.
/// - Receiving: ``BroadcastReceiver`` decides what each payload means; this service carries out
///   its actions: deliver to the hub, read the baseline, or catch up on the messages stored while
///   events went missing. Other kinds of missed events (edits, membership changes) are not
///   recovered; sockets re-check their sessions every 30 s regardless.
final class SharedEventBus: EventBus, Service {
    private let hub: ConnectionHub
    private let presence: PresenceBoard?
    private let storage: any SharedStorage
    private let logger: Logger
    private let metrics: HostMetrics
    /// Builds the `message.created` events for messages read back from storage.
    private let catchUpEvents: @Sendable ([Message]) async throws -> [RoomEvent]
    /// Tells this instance's broadcasts from the others'.
    let instance = String(UInt64.random(in: 1...UInt64.max), radix: 36)

    private let outgoing = Mutex(BroadcastSendQueue())
    private let incoming: Mutex<BroadcastReceiver>
    private let wakeUps: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// How long queued events may still be sent during a graceful shutdown.
    static let shutdownDrain: Duration = .seconds(5)

    init(
        hub: ConnectionHub, presence: PresenceBoard? = nil, storage: any SharedStorage, logger: Logger, metrics: HostMetrics,
        catchUpEvents: @escaping @Sendable ([Message]) async throws -> [RoomEvent]
    ) {
        self.hub = hub
        self.presence = presence
        self.storage = storage
        self.logger = logger
        self.metrics = metrics
        self.catchUpEvents = catchUpEvents
        self.incoming = Mutex(BroadcastReceiver(instance: instance))
        (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: Publishing

    func publish(_ event: RoomEvent) async {
        if let id = event.messageID { _ = incoming.withLock { $0.markDelivered(id.rawValue) } }
        hub.deliver(event)
        send(Envelope(event, from: instance))
    }

    func publish(_ signal: SessionSignal) async {
        hub.end(signal)
        send(Envelope(signal, from: instance))
    }

    func publish(_ event: UserEvent) async {
        hub.deliver(event)
        send(Envelope(event, from: instance))
    }

    func publish(_ batch: PresenceBatch) async {
        presence?.apply(batch, from: instance)
        guard let envelope = Envelope(batch, from: instance) else { return }
        send(envelope)
    }

    private func send(_ envelope: Envelope) {
        let limit = storage.maxBroadcastBytes
        let dropped = outgoing.withLock { $0.enqueue(envelope, limit: limit) }
        if dropped > 0 {
            metrics.recordBroadcastDropped(dropped)
            logger.warning("dropped queued broadcasts: storage is not taking them", metadata: ["count": "\(dropped)"])
        }
        wake.yield()
    }

    // MARK: Running

    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask(operation: { await self.sendQueued() })
                group.addTask(operation: {
                    do {
                        try await self.storage.receiveBroadcasts { event in await self.received(event) }
                    } catch {
                        self.logger.error("receiving broadcasts stopped", metadata: ["error": "\(error)"])
                    }
                })
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
            let batch = outgoing.withLock { $0.takeBatch() }
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
        let actions: [BroadcastReceiver.Action]
        switch event {
        case .listening: actions = incoming.withLock { $0.listening() }
        case .payload(let text): actions = incoming.withLock { $0.receive(text) }
        }
        for action in actions {
            switch action {
            case .deliver(let envelope) where incoming.withLock({ $0.claim(envelope) }): deliver(envelope)
            case .deliver: continue
            case .catchUp(let reason): await catchUp(reason: reason)
            case .readBaseline: await establishBaseline()
            case .unreadable(let what): logger.warning("\(what)")
            }
        }
    }

    private func deliver(_ envelope: Envelope) {
        if let signal = envelope.signal { hub.end(signal) }
        if let event = envelope.roomEvent { hub.deliver(event) }
        if let event = envelope.userEvent { hub.deliver(event) }
        if envelope.isPresence {
            if let batch = envelope.presenceBatch {
                presence?.apply(batch, from: envelope.instance)
            } else {
                logger.warning("a presence batch from another instance could not be read", metadata: ["instance": "\(envelope.instance)"])
            }
        }
    }

    /// The newest stored message when reception first starts: catching up starts from there.
    /// Until it is read, a reconnect reads it again rather than catching up from nothing.
    private func establishBaseline() async {
        do {
            let newest = try await storage.latestMessageID()?.rawValue ?? 0
            incoming.withLock { $0.setBaseline(newest) }
        } catch {
            logger.warning("could not read the newest message id", metadata: ["error": "\(error)"])
        }
    }

    /// Delivers stored messages this instance's subscribers have not had, oldest first.
    private func catchUp(reason: String) async {
        var after = incoming.withLock { $0.catchUpStart }
        var delivered = 0
        do {
            for _ in 0..<40 {
                let page = try await storage.messages(after: MessageID(after), limit: 500)
                guard let last = page.last else { break }
                after = last.id.rawValue
                let missed = incoming.withLock { receiver in
                    receiver.saw(last.id.rawValue)
                    return page.filter { $0.deletedAt == nil && !receiver.wasDelivered($0.id.rawValue) }
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
