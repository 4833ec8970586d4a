import EchoBuiltinPlugins
import EchoPluginAPI
import Foundation
import Logging
import Synchronization
@testable import EchoChatServer

/// A temporary directory removed when the test ends.
struct TemporaryDirectory: ~Copyable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func write(_ name: String, json: [String: Any]) throws {
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: file(name)))
    }

    func write(_ name: String, text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: file(name)))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The real composition root, in process, on a free loopback port.
enum TestServer {
    /// A signing secret tests can use to forge tokens of their own.
    static let signingSecret = "test-signing-secret-0123456789abcdef0123456789-0123456789abcdef0123456789"

    /// Faster Argon2id parameters for tests that only need accounts, not hashing strength.
    static var fastLocalAuth: [String: Any] { ["plugin": "local", "config": ["password_hash": ["memory_kib": 1024, "iterations": 1]]] }

    static func run<T: Sendable>(
        config: [String: Any] = [:], plugins: [String: Any]? = nil, registry: PluginRegistry = .builtin,
        _ body: @Sendable (HTTPTestClient, HostSetup) async throws -> T
    ) async throws -> T {
        let directory = try TemporaryDirectory()
        var serverConfig: [String: Any] = ["data_dir": directory.file("data"), "token_signing_secret": signingSecret]
        serverConfig.merge(config) { $1 }
        try directory.write("server_config.json", json: serverConfig)
        try directory.write("plugins.json", json: plugins ?? ["auth": [fastLocalAuth]])
        var setup = try HostSetup.load(
            configPath: directory.file("server_config.json"), pluginsPath: directory.file("plugins.json"), registry: registry,
            environment: [:])
        setup.server.port = 0
        let logger = Logger(label: "echochat-test") { _ in SwiftLogNoOpLogHandler() }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = try await buildServer(setup: setup, registry: registry, logger: logger) { _, port in
            continuation.yield(port)
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                defer { continuation.finish() }  // a server that fails to start ends the wait for its port
                try await server.run(gracefulShutdownSignals: [])
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("server did not start") }
            let result = try await body(HTTPTestClient(port: port), setup)
            group.cancelAll()
            return result
        }
    }

    /// The routes the composition root sets up, as `GET /api/rooms/{name}`; nothing is started.
    static func routes(config: [String: Any] = [:]) async throws -> [String] {
        let directory = try TemporaryDirectory()
        var serverConfig: [String: Any] = ["data_dir": directory.file("data"), "token_signing_secret": signingSecret]
        serverConfig.merge(config) { $1 }
        try directory.write("server_config.json", json: serverConfig)
        try directory.write("plugins.json", json: ["auth": [fastLocalAuth]])
        let setup = try HostSetup.load(
            configPath: directory.file("server_config.json"), pluginsPath: directory.file("plugins.json"), registry: .builtin, environment: [:])
        let logger = Logger(label: "echochat-test") { _ in SwiftLogNoOpLogHandler() }
        let server = try await buildServer(setup: setup, logger: logger)
        await server.plugins.shutdown(logger: logger)
        return server.routes
    }
}
