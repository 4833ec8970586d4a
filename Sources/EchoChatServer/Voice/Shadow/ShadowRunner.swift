import EchoPluginAPI
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Replays real decisions through the shadow strategy, one at a time, off the token path: a
/// decision only queues its case (never waiting), and this service asks the shadow on a thread
/// of its own (not the pool that hashes passwords) and records the comparison. A slow or failing shadow therefore never
/// delays or changes a real answer; when it falls more than `backlog` decisions behind, the
/// newest are counted as skipped instead of queued.
final class ShadowRunner: Service, Sendable {
    let ledger: ShadowLedger
    private let stream: AsyncStream<ShadowCase>
    private let continuation: AsyncStream<ShadowCase>.Continuation
    private let thread: NIOThreadPool
    private let logger: Logger

    init(ledger: ShadowLedger, backlog: Int = 256, logger: Logger) {
        self.ledger = ledger
        (stream, continuation) = AsyncStream.makeStream(of: ShadowCase.self, bufferingPolicy: .bufferingOldest(max(1, backlog)))
        thread = NIOThreadPool(numberOfThreads: 1)
        self.logger = logger
    }

    /// Queues `replayed` for the shadow; returns at once.
    func submit(_ replayed: ShadowCase) {
        switch continuation.yield(replayed) {
        case .dropped(let dropped): ledger.skipped(dropped)
        case .enqueued, .terminated: break
        @unknown default: break
        }
    }

    func run() async throws {
        thread.start()
        // On shutdown the queue is dropped, not worked through: nothing waits for a shadow.
        for await replayed in stream.cancelOnGracefulShutdown() {
            await judge(replayed)
        }
        continuation.finish()
        try await thread.shutdownGracefully()
    }

    /// Asks the shadow about one real decision and records how it compares.
    func judge(_ replayed: ShadowCase) async {
        let answer: ShadowAnswer
        do {
            answer = try await thread.runIfActive {
                let (input, judge) = (replayed.input, replayed.shadow.judge)
                let now = Date(timeIntervalSince1970: Double(input.nowMilliseconds) / 1000)
                var snapshot = input.snapshot
                snapshot.limits = judge.limits  // the shadow works within its own limits, as it would live
                return ShadowAnswer(judge.ask(input.request, in: snapshot, now: now).result)
            }
        } catch {
            logger.debug("the shadow strategy was not asked", metadata: ["error": "\(error)"])
            return
        }
        ledger.record(replayed, answer: answer)
    }
}
