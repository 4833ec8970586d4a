import Synchronization

/// Runs the operations for one key one at a time, in the order they arrive; operations for
/// different keys run freely. Keys nobody waits on are forgotten.
final class KeyedSerializer<Key: Hashable & Sendable>: Sendable {
    private struct Line {
        var running = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let lines = Mutex<[Key: Line]>([:])

    init() {}

    func run<T: Sendable>(_ key: Key, _ operation: () async throws -> T) async throws -> T {
        await enter(key)
        defer { leave(key) }
        return try await operation()
    }

    private func enter(_ key: Key) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let goes = lines.withLock { lines in
                if lines[key]?.running == true {
                    lines[key]?.waiting.append(continuation)
                    return false
                }
                lines[key] = Line(running: true)
                return true
            }
            if goes { continuation.resume() }
        }
    }

    private func leave(_ key: Key) {
        let next = lines.withLock { lines -> CheckedContinuation<Void, Never>? in
            guard var line = lines[key], !line.waiting.isEmpty else {
                lines[key] = nil
                return nil
            }
            let next = line.waiting.removeFirst()
            lines[key] = line
            return next
        }
        next?.resume()
    }
}
