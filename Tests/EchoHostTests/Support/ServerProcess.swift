import Foundation

/// The built `echochat` executable, run as a child process the way operators run it.
// Process is driven from the one test task that owns this object; output is read back from a file.
final class ServerProcess: @unchecked Sendable {
    /// `echochat` sits beside the test bundle in the build directory.
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["ECHOCHAT_BINARY"] { return path }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("echochat").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        let fromProc = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return fromProc.appendingPathComponent("echochat").path
    }

    private let process: Process
    /// The child's output goes to a file rather than a pipe: no dispatch source watches a
    /// descriptor that may close under it.
    private let outputPath: String

    /// Starts `echochat arguments…` in `directory`.
    init(_ arguments: [String], in directory: String, environment: [String: String] = [:], stdin: String? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-output-\(UUID().uuidString).log").path
        guard FileManager.default.createFile(atPath: outputPath, contents: nil) else { throw TestFailure("cannot create \(outputPath)") }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
    }

    /// Runs to completion and returns (exit status, combined output).
    static func run(_ arguments: [String], in directory: String, environment: [String: String] = [:], stdin: String? = nil) async throws
        -> (status: Int32, output: String)
    {
        let process = try ServerProcess(arguments, in: directory, environment: environment, stdin: stdin)
        let status = try await process.waitForExit(timeout: .seconds(60))
        return (status, process.outputText)
    }

    var outputText: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    var pid: Int32 { process.processIdentifier }

    /// Waits for the start-up line and returns the port it names.
    func waitForPort(timeout: Duration = .seconds(60)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = outputText
            if let range = text.range(of: #"EchoChat listening on http://[^:]+:(\d+)"#, options: .regularExpression) {
                let line = text[range]
                if let port = Int(line.split(separator: ":").last ?? "") { return port }
            }
            if !process.isRunning { throw TestFailure("echochat exited early:\n\(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("echochat did not report its port:\n\(outputText)")
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw TestFailure("echochat did not exit in time:\n\(outputText)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: outputPath)
    }
}
