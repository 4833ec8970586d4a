import EchoPluginAPI
import Foundation
import NIOCore
import Testing

@testable import EchoChatServer

@Suite("events between instances")
struct BroadcastEnvelopeTests {
    @Test("an envelope's text reads back as the same envelope")
    func envelopeRoundTrip() throws {
        var envelope = Envelope(instance: "abc123", room: 42, frame: #"{"message":{"body":"line\nbreak ✓"},"room":"Lobby","type":"message.created"}"#)
        envelope.sequence = 7
        envelope.message = 99
        envelope.joined = 5
        let text = envelope.text
        let newline = try #require(text.firstIndex(of: "\n"))
        let parsed = Envelope(header: text[..<newline].split(separator: " ", omittingEmptySubsequences: false), frame: text[text.index(after: newline)...])
        #expect(parsed == envelope)
        var signal = Envelope(instance: "abc123")
        signal.sequence = 8
        signal.sessionEnded = "0123abcd"
        let signalText = signal.text
        let signalNewline = try #require(signalText.firstIndex(of: "\n"))
        #expect(Envelope(header: signalText[..<signalNewline].split(separator: " "), frame: signalText[signalText.index(after: signalNewline)...]) == signal)
    }

    @Test("conversation fields travel: a message's author, a new conversation's members, a block list, a presence batch")
    func conversationFields() throws {
        func reparse(_ envelope: Envelope) throws -> Envelope {
            let text = envelope.text
            let newline = try #require(text.firstIndex(of: "\n"))
            return Envelope(header: text[..<newline].split(separator: " "), frame: text[text.index(after: newline)...])!
        }
        var created = Envelope(RoomEvent(roomID: RoomID(9), frame: ByteBuffer(string: "{}"), membership: .joinedAll([UserID(1), UserID(2)]), authorID: UserID(3)), from: "i1")
        created.sequence = 1
        let parsed = try reparse(created)
        #expect(parsed == created && parsed.roomEvent?.membership == .joinedAll([UserID(1), UserID(2)]) && parsed.roomEvent?.authorID == UserID(3))
        var blocks = Envelope(UserEvent(userID: UserID(4), frame: ByteBuffer(string: "{}"), blocked: []), from: "i1")
        blocks.sequence = 2
        #expect(try reparse(blocks).userEvent?.blocked == [], "an empty block list is a list")
        let batch = PresenceBatch(entries: [.init(user: 5, username: "eve", displayName: "Eve", status: .idle, rooms: [1, 2])], full: true)
        var presence = try #require(Envelope(batch, from: "i1"))
        presence.sequence = 3
        let back = try reparse(presence)
        #expect(back.presenceBatch == batch && back.roomEvent == nil && back.userEvent == nil, "a presence batch is for boards, not sockets")
    }

    @Test("a long event is cut into payloads within the limit, on character boundaries, that join back to it", arguments: [1, 3, 20])
    func chunking(repeats: Int) throws {
        let limit = 7_900
        var envelope = Envelope(instance: "x1", room: 1, frame: String(repeating: "ü€😀a\"", count: 600 * repeats))
        envelope.sequence = 3
        let payloads = envelope.payloads(limit: limit)
        #expect(payloads.allSatisfy { $0.utf8.count <= limit })
        if payloads.count == 1 {
            #expect(payloads[0] == "E" + envelope.text)
        } else {
            let pieces = payloads.map { payload -> Substring in
                #expect(payload.hasPrefix("Cx1 3 "))
                return payload[payload.index(after: payload.firstIndex(of: "\n")!)...]
            }
            #expect(pieces.joined() == envelope.text)
            #expect(payloads.enumerated().allSatisfy { index, payload in payload.hasPrefix("Cx1 3 \(index) \(payloads.count)\n") })
        }
    }
}
