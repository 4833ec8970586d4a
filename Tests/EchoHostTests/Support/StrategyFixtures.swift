import Foundation
import Testing

/// Strategy modules for the tests: hand-written WebAssembly text assembled with wabt's
/// `wat2wasm`, and SDK strategies built with `echochat strategy build`, each once per run.
enum StrategyFixtures {
    /// The repository's root.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let output: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-strategies-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
    private static let builds = Builds()

    /// `Tests/Fixtures/wasm/NAME.wat`, assembled.
    static func module(_ name: String) async throws -> String {
        try await once("wat:\(name)") {
            let source = "\(repository)/Tests/Fixtures/wasm/\(name).wat"
            let target = "\(output)/\(name).wasm"
            guard let wat2wasm = ["/usr/bin/wat2wasm", "/usr/local/bin/wat2wasm"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
                throw TestFailure("wat2wasm is missing: install Debian's wabt package (scripts/test does)")
            }
            let (status, text) = try await ServerProcess.run([source, "-o", target], in: repository, executable: wat2wasm)
            guard status == 0 else { throw TestFailure("wat2wasm \(name).wat failed: \(text)") }
            return target
        }
    }

    /// A Swift strategy (`Examples/Strategies/NAME.swift` unless `path` says otherwise), built
    /// with `echochat strategy build`.
    static func swiftModule(_ name: String, path: String? = nil) async throws -> String {
        try await once("swift:\(name)") {
            let source = path ?? "\(repository)/Examples/Strategies/\(name).swift"
            let target = "\(output)/\(name).wasm"
            let (status, text) = try await ServerProcess.run(["strategy", "build", source, "-o", target], in: output, timeout: .seconds(300))
            guard status == 0 else { throw TestFailure("echochat strategy build \(name).swift failed: \(text)") }
            return target
        }
    }

    private static func once(_ key: String, _ make: @escaping @Sendable () async throws -> String) async throws -> String {
        try await builds.path(key, make)
    }

    /// One build per module, however many tests ask for it at once.
    private actor Builds {
        private var running: [String: Task<String, any Error>] = [:]

        func path(_ key: String, _ make: @escaping @Sendable () async throws -> String) async throws -> String {
            if let task = running[key] { return try await task.value }
            let task = Task { try await make() }
            running[key] = task
            return try await task.value
        }
    }

    /// A subrooms entry for plugins.json.
    static func wasm(_ module: String, _ config: [String: Any] = [:]) -> [String: Any] {
        ["plugin": "wasm", "config": ["module": module].merging(config) { $1 }]
    }
}
