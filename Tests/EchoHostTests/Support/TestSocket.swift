import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Synchronization

/// A WebSocket client for tests: collects the server's frames and sends what it is told to.
final class TestSocket: Sendable {
    private let inbox = Inbox()
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>

    /// Connects to `/api/ws` with `query` (e.g. `access_token=…`) and `headers`.
    init(port: Int, query: String = "", headers: [String: String] = [:]) {
        let (toSend, outgoing) = AsyncStream.makeStream(of: String.self)
        let received = inbox
        self.outgoing = outgoing
        var configuration = WebSocketClientConfiguration()
        // As a browser: frames of the longest messages (16,000 characters, escaped) come whole.
        configuration.maxFrameSize = 1 << 20
        for (name, value) in headers { configuration.additionalHeaders[.init(name)!] = value }
        let url = "ws://127.0.0.1:\(port)/api/ws" + (query.isEmpty ? "" : "?" + query)
        task = Task {
            do {
                let close = try await WebSocketClient.connect(
                    url: url, configuration: configuration, logger: Logger(label: "test-ws") { _ in SwiftLogNoOpLogHandler() }
                ) { inbound, outbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in toSend { try await outbound.write(.text(text)) }
                        }
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            if case .text(let text) = message { received.append(text) }
                        }
                        group.cancelAll()
                    }
                }
                received.finish(code: close.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) } ?? -1)
            } catch {
                received.finish(code: -2)
            }
        }
    }

    func send(_ object: [String: Any]) throws {
        outgoing.yield(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    /// The next frame, or `nil` when the connection ended or nothing came within `timeout`.
    func next(timeout: Duration = .seconds(10)) async -> [String: Any]? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch inbox.take() {
            case .frame(let text):
                return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? ["type": "unparseable", "text": text]
            case .finished:
                return nil
            case .empty:
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        return nil
    }

    /// The next frame of `type`, skipping others.
    func next(type: String, timeout: Duration = .seconds(10)) async -> [String: Any]? {
        while let frame = await next(timeout: timeout) {
            if frame["type"] as? String == type { return frame }
        }
        return nil
    }

    /// Waits for the connection to end and returns the close code (-1 none, -2 error).
    func closed(timeout: Duration = .seconds(20)) async -> Int? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let code = inbox.closeCode { return code }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    func disconnect() {
        outgoing.finish()
        task.cancel()
    }

    deinit { task.cancel() }
}

/// Frames received and not yet read.
final class Inbox: Sendable {
    enum Item { case frame(String), finished, empty }
    private let state = Mutex<(frames: [String], head: Int, closeCode: Int?)>(([], 0, nil))

    func append(_ text: String) { state.withLock { $0.frames.append(text) } }
    func finish(code: Int) { state.withLock { $0.closeCode = code } }
    var closeCode: Int? { state.withLock { $0.closeCode } }

    func take() -> Item {
        state.withLock { state in
            if state.head < state.frames.count {
                defer { state.head += 1 }
                return .frame(state.frames[state.head])
            }
            return state.closeCode != nil ? .finished : .empty
        }
    }
}
