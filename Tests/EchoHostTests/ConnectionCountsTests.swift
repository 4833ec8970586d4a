import Testing

@testable import EchoChatServer

@Suite("connection limits")
struct ConnectionCountsTests {
    @Test("per address and in total; a proxy is held to the total only; closing makes room")
    func limits() {
        var counts = ConnectionCounts(limits: .init(total: 5, perAddress: 2, exempt: ["10.0.0.1"]))
        #expect(counts.open(from: "a") == nil)
        #expect(counts.open(from: "a") == nil)
        #expect(counts.open(from: "a") == .perAddress)
        #expect(counts.open(from: "10.0.0.1") == nil)
        #expect(counts.open(from: "10.0.0.1") == nil)
        #expect(counts.open(from: "10.0.0.1") == nil)
        #expect(counts.open(from: "b") == .total)
        counts.close(from: "a")
        #expect(counts.open(from: "b") == nil)
        #expect(counts.total == 5)
        counts.close(from: "a")
        counts.close(from: "b")
        #expect(counts.byAddress["a"] == nil)
        #expect(counts.byAddress["b"] == nil)
    }
}

@Suite("WebSocket client frames")
struct WebSocketFrameScannerTests {
    static func frame(masked: Bool, payload: Int) -> [UInt8] {
        var bytes: [UInt8] = [0x81]
        let mask: UInt8 = masked ? 0x80 : 0
        switch payload {
        case ..<126: bytes.append(mask | UInt8(payload))
        case ..<65_536: bytes += [mask | 126, UInt8(payload >> 8), UInt8(payload & 0xFF)]
        default: bytes += [mask | 127] + (0..<8).reversed().map { UInt8((payload >> ($0 * 8)) & 0xFF) }
        }
        if masked { bytes += [1, 2, 3, 4] }
        return bytes + Array(repeating: 0x41, count: payload)
    }

    @Test("masked frames of every length pass, in any split; the first unmasked one is caught", arguments: [0, 5, 125, 126, 300, 70_000])
    func scan(payload: Int) {
        let stream = Self.frame(masked: true, payload: payload) + Self.frame(masked: true, payload: 3) + Self.frame(masked: false, payload: 2)
        for split in [1, 2, 7, 4096] {
            var scanner = WebSocketFrameScanner()
            var verdict = true
            var index = 0
            while index < stream.count && verdict {
                verdict = scanner.scan(stream[index..<min(index + split, stream.count)])
                index += split
            }
            #expect(!verdict)
            #expect(index >= stream.count - 2 - 2, "caught too early at \(index) of \(stream.count)")
        }
    }
}
