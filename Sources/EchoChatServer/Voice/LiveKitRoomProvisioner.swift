import EchoPluginAPI
import Foundation
import Logging
import NIOCore
import Synchronization

/// Creates sub-rooms on LiveKit with the strategy's cap as `max_participants`, so the media
/// server enforces it too. LiveKit being down never stops a token: the failure is logged, and
/// for `outageBackoff` later tokens do not wait on LiveKit (their rooms are created in the
/// background). CreateRoom is idempotent; remembering what was created only saves calls.
final class LiveKitRoomProvisioner: Sendable {
    private struct State {
        var created: Set<String> = []
        var downUntil = Date.distantPast
        /// Sub-rooms being created, with whoever waits for that attempt.
        var creating: [String: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let roomService: RoomServiceClient?
    /// The live strategy, whose declared maximum each new sub-room is created with.
    private let strategy: StrategySlot
    private let background: BackgroundCalls
    private let logger: Logger
    private let outageBackoff: TimeInterval
    private let state = Mutex(State())

    init(roomService: RoomServiceClient?, strategy: StrategySlot, background: BackgroundCalls, logger: Logger, outageBackoff: TimeInterval = 10) {
        self.roomService = roomService
        self.strategy = strategy
        self.background = background
        self.logger = logger
        self.outageBackoff = outageBackoff
    }

    /// Makes sure `livekitRoom` exists before its token is handed out: always for a seat that
    /// opens a sub-room, otherwise only while this instance has not seen it created.
    func ensureCreated(_ livekitRoom: String, opensSubroom: Bool, now: Date) async {
        guard roomService != nil else { return }
        let (known, isDown) = state.withLock { ($0.created.contains(livekitRoom), $0.downUntil > now) }
        guard opensSubroom || !known else { return }
        if isDown {
            // LiveKit failed moments ago: the token does not wait on it.
            background.submit { await self.create(livekitRoom) }
        } else {
            await create(livekitRoom)
        }
    }

    /// One CreateRoom at a time per sub-room: concurrent first tokens wait for the same attempt,
    /// which runs among the background calls so that no request's cancellation cuts it short.
    private func create(_ livekitRoom: String) async {
        let isFirst = state.withLock { state in
            guard state.creating[livekitRoom] == nil else { return false }
            state.creating[livekitRoom] = []
            return true
        }
        if isFirst {
            let attempt: BackgroundCalls.Call = {
                await self.attempt(livekitRoom)
                let waiters = self.state.withLock { $0.creating.removeValue(forKey: livekitRoom) ?? [] }
                for waiter in waiters { waiter.resume() }
            }
            // Once the server is stopping there is no background: the request makes the call itself.
            guard background.submit(attempt) else { return await attempt() }
        }
        await withCheckedContinuation { continuation in
            let running = state.withLock { state in
                guard state.creating[livekitRoom] != nil else { return false }
                state.creating[livekitRoom]?.append(continuation)
                return true
            }
            if !running { continuation.resume() }
        }
    }

    private func attempt(_ livekitRoom: String) async {
        guard let roomService else { return }
        do {
            var client = roomService
            client.timeout = .seconds(3)
            try await client.createRoom(livekitRoom, maxParticipants: strategy.active.maxParticipants ?? 0)
            state.withLock { _ = $0.created.insert(livekitRoom) }
        } catch {
            let until = Date().addingTimeInterval(outageBackoff)
            state.withLock { $0.downUntil = until }
            logger.warning(
                "could not create the LiveKit room; tokens are issued anyway", metadata: ["livekit_room": "\(livekitRoom)", "error": "\(error)"])
        }
    }

    /// LiveKit closed the room: the next token creates it again.
    func finished(_ livekitRoom: String) { state.withLock { _ = $0.created.remove(livekitRoom) } }

    /// The sub-rooms this instance created, for the reconciliation.
    var createdNames: Set<String> { state.withLock { $0.created } }
}
