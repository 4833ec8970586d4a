import EchoPluginAPI
import Foundation
import NIOCore
import Testing

@testable import EchoChatServer

@Suite("what an instance makes of other instances' broadcasts")
struct BroadcastReceiverTests {
    /// A message event from `sender` with sequence `sequence`, as its one payload.
    static func message(_ id: Int64, from sender: String = "b", sequence: UInt64) -> String {
        var envelope = Envelope(instance: sender, room: 1, frame: #"{"type":"message.created"}"#)
        envelope.sequence = sequence
        envelope.message = id
        return "E" + envelope.text
    }

    static func signal(from sender: String = "b", sequence: UInt64) -> String {
        var envelope = Envelope(instance: sender)
        envelope.sequence = sequence
        envelope.userDisabled = 9
        return "E" + envelope.text
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let payloads: [String]
        /// Per payload: delivered (d), caught up (c), both (cd), nothing (-), unreadable (u).
        let expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "consecutive events are delivered", payloads: [message(10, sequence: 1), message(11, sequence: 2)], expected: ["d", "d"]),
        Case(name: "a gap in a sender's sequence asks for a catch-up first", payloads: [message(10, sequence: 1), message(13, sequence: 4)], expected: ["d", "cd"]),
        Case(name: "a sender's first event is no gap", payloads: [message(10, sequence: 57)], expected: ["d"]),
        Case(name: "senders are numbered apart", payloads: [message(10, from: "b", sequence: 1), message(11, from: "c", sequence: 1)], expected: ["d", "d"]),
        Case(name: "one's own broadcasts are not delivered again", payloads: [message(10, from: "me", sequence: 1)], expected: ["-"]),
        Case(name: "a message delivered once is not delivered twice", payloads: [message(10, sequence: 1), message(10, sequence: 2)], expected: ["d", "-"]),
        Case(name: "signals are delivered", payloads: [signal(sequence: 1)], expected: ["d"]),
        Case(name: "an older sequence number is no gap", payloads: [message(10, sequence: 5), message(11, sequence: 3)], expected: ["d", "d"]),
        Case(name: "garbage is reported, not delivered", payloads: ["Eb x\n{}", "Cb 1 9 2\nhalf"], expected: ["u", "u"]),
    ]

    @Test(arguments: cases)
    func receive(_ test: Case) {
        var receiver = BroadcastReceiver(instance: "me")
        for (payload, expected) in zip(test.payloads, test.expected) {
            let actions = receiver.receive(payload)
            // As the bus carries them out: a delivery is claimed when its turn comes.
            let summary = actions.map { action -> String in
                switch action {
                case .deliver(let envelope): receiver.claim(envelope) ? "d" : ""
                case .catchUp: "c"
                case .readBaseline: "b"
                case .unreadable: "u"
                }
            }.joined()
            #expect((summary.isEmpty ? "-" : summary) == expected, "\(payload)")
        }
    }

    @Test("after a gap, the catch-up comes before the event that showed it, which is delivered only if the catch-up did not")
    func catchUpFirst() {
        var receiver = BroadcastReceiver(instance: "me")
        for case .deliver(let envelope) in receiver.receive(Self.message(105, sequence: 5)) { _ = receiver.claim(envelope) }
        let actions = receiver.receive(Self.message(106, sequence: 7))
        #expect(actions.count == 2)
        #expect(actions.first == .catchUp(reason: "events from another instance went missing"))
        // The catch-up reads 106 back from storage and delivers it, in id order with the others.
        #expect(!receiver.wasDelivered(106))
        let caughtUp = receiver.markDelivered(106)
        #expect(caughtUp)
        guard case .deliver(let envelope)? = actions.last else {
            Issue.record("no delivery")
            return
        }
        let deliveredAgain = receiver.claim(envelope)
        #expect(!deliveredAgain)
    }

    @Test("chunks of a long event are delivered once the last piece arrives, in any order")
    func chunks() throws {
        var envelope = Envelope(instance: "b", room: 1, frame: String(repeating: "é😀", count: 3_000))
        envelope.sequence = 1
        let payloads = envelope.payloads(limit: 1_000)
        #expect(payloads.count > 2)
        var receiver = BroadcastReceiver(instance: "me")
        for payload in payloads.reversed().dropLast() { #expect(receiver.receive(payload).isEmpty) }
        #expect(receiver.receive(payloads[0]) == [.deliver(envelope)])
    }

    @Test("reception restarting reads the baseline first, then catches up from below the newest id seen")
    func restarts() {
        var receiver = BroadcastReceiver(instance: "me")
        #expect(receiver.listening() == [.readBaseline])
        receiver.setBaseline(5_000)
        _ = receiver.receive(Self.message(7_000, sequence: 1))
        #expect(receiver.listening() == [.catchUp(reason: "reception restarted")])
        #expect(receiver.catchUpStart == 7_000 - receiver.catchUpMargin)
    }

    @Test("delivered message ids are forgotten oldest first beyond the limit")
    func recentLimit() {
        var receiver = BroadcastReceiver(instance: "me")
        receiver.recentLimit = 100
        let fresh = (1...10_000).filter { receiver.markDelivered(Int64($0)) }
        #expect(fresh.count == 10_000)
        #expect(!receiver.wasDelivered(9_900))
        #expect(receiver.wasDelivered(9_901))
        let again = receiver.markDelivered(10_000)
        #expect(!again)
    }
}

@Suite("the send queue of events between instances")
struct BroadcastSendQueueTests {
    @Test("events are numbered in order and batched whole; beyond the bound the oldest are dropped")
    func queue() {
        var queue = BroadcastSendQueue()
        queue.maxQueued = 3
        queue.batchPayloads = 2
        var dropped = 0
        for room in 1...5 { dropped += queue.enqueue(Envelope(instance: "a", room: Int64(room), frame: "{}"), limit: 8_000) }
        #expect(dropped == 2)
        let first = queue.takeBatch()
        #expect(first.count == 2)
        #expect(first[0].hasPrefix("Ea 3 r=3\n"))
        #expect(first[1].hasPrefix("Ea 4 r=4\n"))
        #expect(queue.takeBatch().map { $0.prefix(9) } == ["Ea 5 r=5\n"])
        #expect(queue.takeBatch().isEmpty)
    }

    @Test("an event of more payloads than a batch still goes, alone")
    func oversized() {
        var queue = BroadcastSendQueue()
        queue.batchPayloads = 2
        _ = queue.enqueue(Envelope(instance: "a", room: 1, frame: String(repeating: "x", count: 1_000)), limit: 200)
        _ = queue.enqueue(Envelope(instance: "a", room: 2, frame: "{}"), limit: 200)
        #expect(queue.takeBatch().count > 2)
        #expect(queue.takeBatch().count == 1)
    }
}
