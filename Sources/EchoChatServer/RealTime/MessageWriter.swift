import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Stores posted messages in batches (group commit) and publishes them in id order.
///
/// Concurrent posts queue here; one loop takes everything queued, stores it with a single
/// `appendMessages` call (one transaction, one sync), answers each poster, and publishes the new
/// messages in the order storage numbered them. With one writer loop per instance, delivery order
/// within a room follows message ids.
final class MessageWriter: Service {
    /// A post waiting to be stored.
    struct Post: Sendable {
        let message: NewMessage
        let room: Room
        let author: AuthorBody
        /// What a reply quotes, known before it is stored (`nil` for a storage without threads).
        var thread: MessageThreadBody? = nil
        /// The room's slowmode for this author; 0 when it does not apply (moderators, no slowmode).
        var slowmodeSeconds = 0
    }

    /// A stored message, encoded once for the poster's response and the room's event.
    struct Written: Sendable {
        let result: AppendedMessage
        let encoded: EncodedMessage
    }

    private struct Pending: Sendable {
        let post: Post
        let continuation: CheckedContinuation<Written, any Error>
    }

    private let storage: any Storage
    private let bus: any EventBus
    private let logger: Logger
    private let maxBatch: Int
    private let pending = Mutex<(queue: [Pending], isStopped: Bool)>(([], false))
    private let wakeUps: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(storage: any Storage, bus: any EventBus, logger: Logger, maxBatch: Int = 512) {
        self.storage = storage
        self.bus = bus
        self.logger = logger
        self.maxBatch = maxBatch
        (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Stores a message (or finds its earlier copy by client ID) and returns once it is committed.
    func append(_ post: Post) async throws -> Written {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = pending.withLock { state -> Bool in
                guard !state.isStopped else { return false }
                state.queue.append(Pending(post: post, continuation: continuation))
                return true
            }
            if accepted {
                wake.yield()
            } else {
                continuation.resume(throwing: StorageError.unavailable("the server is shutting down"))
            }
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeUps {
                await drain()
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        // Nothing is accepted after this; whatever was queued is still written.
        pending.withLock { $0.isStopped = true }
        await drain()
    }

    private func drain() async {
        while true {
            let batch: [Pending] = pending.withLock { state in
                let count = min(state.queue.count, maxBatch)
                defer { state.queue.removeFirst(count) }
                return Array(state.queue.prefix(count))
            }
            guard !batch.isEmpty else { return }
            await write(batch)
        }
    }

    private func write(_ batch: [Pending]) async {
        let batch = await admittedBySlowmode(batch)
        guard !batch.isEmpty else { return }
        let written: [Written]
        do {
            let results = try await storage.appendMessages(batch.map(\.post.message))
            guard results.count == batch.count else {
                throw StorageError.invalidData("storage stored \(results.count) of \(batch.count) messages")
            }
            written = try zip(batch, results).map { pending, result in
                Written(
                    result: result,
                    encoded: try EncodedMessage(result.message, room: pending.post.room, author: pending.post.author, thread: pending.post.thread))
            }
        } catch let error as StorageError where !error.isUnavailable && batch.count > 1 {
            // One bad message (its room deleted a moment ago) must not fail the others: retry singly.
            for pending in batch { await write([pending]) }
            return
        } catch {
            for pending in batch { pending.continuation.resume(throwing: error) }
            return
        }
        // Publish before answering: a poster who edits at once must not overtake its own event.
        for (pending, message) in zip(batch, written) where !message.result.isDuplicate {
            await bus.publish(.messageCreated(message.encoded, room: pending.post.room))
        }
        for (pending, message) in zip(batch, written) { pending.continuation.resume(returning: message) }
    }

    /// Refuses posts that come too soon after the same author's previous one in a slowmode room.
    /// Decided here, in the writer's order, so that parallel posts cannot all pass a check made
    /// before any of them was stored.
    private func admittedBySlowmode(_ batch: [Pending]) async -> [Pending] {
        guard batch.contains(where: { $0.post.slowmodeSeconds > 0 }) else { return batch }
        struct Key: Hashable {
            let room: RoomID
            let author: UserID
        }
        var latest: [Key: Date] = [:]
        var admitted: [Pending] = []
        for pending in batch {
            let post = pending.post
            guard post.slowmodeSeconds > 0 else {
                admitted.append(pending)
                continue
            }
            let key = Key(room: post.message.roomID, author: post.message.authorID)
            let last: Date?
            if let inBatch = latest[key] {
                last = inBatch
            } else {
                do {
                    last = try await storage.lastMessageDate(of: key.author, in: key.room)
                } catch {
                    pending.continuation.resume(throwing: error)
                    continue
                }
            }
            let wait = last.map { Double(post.slowmodeSeconds) - post.message.createdAt.timeIntervalSince($0) } ?? 0
            if wait > 0 {
                pending.continuation.resume(
                    throwing: EchoError.rateLimited(
                        retryAfter: Int(wait.rounded(.up)), code: "slowmode", message: "this room allows one message every \(post.slowmodeSeconds) s"))
            } else {
                latest[key] = post.message.createdAt
                admitted.append(pending)
            }
        }
        return admitted
    }
}
