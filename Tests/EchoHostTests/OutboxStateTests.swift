import NIOCore
import Testing

@testable import EchoChatServer

@Suite("a connection's outbox bounds")
struct OutboxStateTests {
    static func text(_ bytes: Int) -> OutboundFrame { .text(ByteBuffer(repeating: UInt8(ascii: "x"), count: bytes)) }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let capacity: Int
        let maxBytes: Int
        /// Frame sizes handed in; `-1` is a drain (a batch taken, not yet written), `-2` the socket taking it.
        let steps: [Int]
        let expected: [OutboxState.EnqueueAction]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "the first frame schedules a drain, the next ride along", capacity: 4, maxBytes: 1_000, steps: [10, 10, 10], expected: [.scheduleDrain, .none, .none]),
        Case(name: "one frame more than the capacity overflows", capacity: 2, maxBytes: 1_000, steps: [10, 10, 10], expected: [.scheduleDrain, .none, .overflow]),
        Case(name: "bytes beyond the limit overflow", capacity: 10, maxBytes: 100, steps: [60, 60], expected: [.scheduleDrain, .overflow]),
        Case(name: "one frame larger than the limit goes when nothing waits", capacity: 10, maxBytes: 100, steps: [500], expected: [.scheduleDrain]),
        Case(
            name: "frames handed to the socket count until it takes them", capacity: 2, maxBytes: 1_000, steps: [10, 10, -1, 10],
            expected: [.scheduleDrain, .none, .overflow]),
        Case(
            name: "frames the socket took free their room", capacity: 2, maxBytes: 1_000, steps: [10, 10, -1, -2, 10, 10],
            expected: [.scheduleDrain, .none, .scheduleDrain, .none]),
        Case(name: "after an overflow nothing is taken", capacity: 1, maxBytes: 1_000, steps: [10, 10, 10], expected: [.scheduleDrain, .overflow, .none]),
    ]

    @Test(arguments: cases)
    func bounds(_ test: Case) {
        var state = OutboxState(capacity: test.capacity, maxBytes: test.maxBytes)
        var actions: [OutboxState.EnqueueAction] = []
        var taken: [OutboxState.Batch] = []
        for step in test.steps {
            switch step {
            case -1: taken.append(state.takeBatch())
            case -2: taken.forEach { state.written($0) }; taken.removeAll()
            default: actions.append(state.enqueue(Self.text(step)))
            }
        }
        #expect(actions == test.expected)
    }

    @Test("a close goes out once, after the frames queued before it; nothing is taken after it")
    func close() {
        var state = OutboxState(capacity: 10, maxBytes: 1_000)
        #expect(state.enqueue(Self.text(5)) == .scheduleDrain)
        #expect(state.enqueue(.close(code: 4001, reason: "session ended")) == .none)
        #expect(state.enqueue(Self.text(5)) == .none)
        let batch = state.takeBatch()
        #expect(batch.frames.count == 1)
        #expect(batch.close == OutboxState.Close(code: 4001, reason: "session ended"))
        #expect(state.takeBatch() == OutboxState.Batch())
        #expect(!state.isOpen)
    }

    @Test("finishing drops what waits")
    func finish() {
        var state = OutboxState(capacity: 10, maxBytes: 1_000)
        _ = state.enqueue(Self.text(5))
        state.finish()
        #expect(state.takeBatch().frames.isEmpty)
        #expect(state.enqueue(Self.text(5)) == .none)
    }
}
