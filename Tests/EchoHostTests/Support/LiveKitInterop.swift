import Foundation
import Synchronization

/// LiveKit's own Python server SDK (`livekit-api`, installed by `scripts/test` into
/// `.build-venv`), run through `Tests/Interop/livekit_interop.py`.
enum LiveKitInterop {
    static let key = "devkey"
    static let secret = "secret"

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static var script: String { repositoryRoot.appendingPathComponent("Tests/Interop/livekit_interop.py").path }

    /// The venv's Python. Missing is a failure, never a skip: `scripts/test` installs it.
    static func python() throws -> String {
        if let path = ProcessInfo.processInfo.environment["ECHOCHAT_TEST_PYTHON"], FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        let venv = repositoryRoot.appendingPathComponent(".build-venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: venv) else {
            throw TestFailure("LiveKit's Python SDK is not installed: run scripts/test (it creates .build-venv with livekit-api)")
        }
        return venv
    }

    /// Runs operations through the SDK (see the script for what each does).
    static func run(_ operations: [[String: Any]]) async throws -> [[String: Any]] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.json")
        let output = directory.appendingPathComponent("out.json")
        let errors = directory.appendingPathComponent("err.txt")
        try JSONSerialization.data(withJSONObject: operations).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try python())
        process.arguments = [script, "tool"]
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard process.terminationStatus == 0,
            let results = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [[String: Any]]
        else {
            throw TestFailure("livekit_interop.py failed: \((try? String(contentsOf: errors, encoding: .utf8)) ?? "")")
        }
        return results
    }

    /// LiveKit's `TokenVerifier` on each token.
    static func verify(_ tokens: [String], key: String = key, secret: String = secret) async throws -> [[String: Any]] {
        try await run(tokens.map { ["op": "verify", "token": $0, "key": key, "secret": secret] })
    }

    /// A webhook body and Authorization header, built and signed by the SDK.
    static func webhook(_ event: [String: Any], key: String = key, secret: String = secret, ttl: Int = 300) async throws -> (
        body: String, authorization: String
    ) {
        let result = try await run([["op": "webhook", "event": event, "key": key, "secret": secret, "ttl_seconds": ttl]])[0]
        return (result["body"] as? String ?? "", result["authorization"] as? String ?? "")
    }
}

/// A stand-in for LiveKit's RoomService, speaking its Twirp JSON with LiveKit's own protobuf
/// classes and checking every call's token with the SDK's verifier.
final class TwirpDouble: @unchecked Sendable {
    private let process = Process()
    private let outputPath: String
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }
    var client: HTTPTestClient { HTTPTestClient(port: port) }

    init(key: String = LiveKitInterop.key, secret: String = LiveKitInterop.secret) async throws {
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-twirp-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: try LiveKitInterop.python())
        process.arguments = [LiveKitInterop.script, "twirp", "--key", key, "--secret", secret]
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        var found: Int?
        while found == nil, ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening ") }) { found = Int(line.dropFirst(10)) }
            if found == nil {
                guard process.isRunning else { throw TestFailure("the Twirp double exited: \(text)") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        guard let found else { throw TestFailure("the Twirp double did not start") }
        port = found
    }

    /// The calls received: `method`, `request` (snake_case JSON), `video` (the token's grant as the SDK read it).
    func calls(_ method: String? = nil) async throws -> [[String: Any]] {
        let result = try await client.get("/_test/calls")
        let calls = (try JSONSerialization.jsonObject(with: result.body) as? [[String: Any]]) ?? []
        return method.map { name in calls.filter { $0["method"] as? String == name } } ?? calls
    }

    /// The rooms LiveKit holds, by name.
    func rooms() async throws -> [String: [String: Any]] {
        let result = try await client.get("/_test/rooms")
        return (try JSONSerialization.jsonObject(with: result.body) as? [String: [String: Any]]) ?? [:]
    }

    @discardableResult
    func addParticipant(room: String, identity: String, sid: String, sources: [String] = ["microphone"]) async throws -> [String: Any] {
        try await client.post("/_test/participants", ["room": room, "identity": identity, "sid": sid, "sources": sources]).json
    }

    func removeParticipant(room: String, identity: String) async throws {
        _ = try await client.post("/_test/remove", ["room": room, "identity": identity])
    }

    /// Makes every RoomService call fail with this Twirp code (nil: work again).
    func fail(with code: String?) async throws {
        _ = try await client.post("/_test/fail", code.map { ["code": $0] } ?? [:])
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: outputPath)
    }
}

/// A value shared by concurrent tasks.
final class Locked<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { value.withLock { body(&$0) } }
}
