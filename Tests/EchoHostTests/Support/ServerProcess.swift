import EchoTestSupport
import Foundation
import Synchronization

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

    private let childPID: pid_t
    /// The exit status once reaped.
    private let exitStatus = Mutex<Int32?>(nil)
    /// The child's output goes to a file rather than a pipe: no reader has to keep up with it.
    private let outputPath: String

    /// Starts `echochat arguments…` in `directory`. `posix_spawn` and `waitpid` rather than
    /// Foundation's `Process`, whose exit monitoring was seen to miss a child's exit now and then.
    /// Another program (Python running a browser test, say) runs the same way with `executable`.
    init(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], stdin: String? = nil, executable: String = ServerProcess.executable
    ) throws {
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-output-\(UUID().uuidString).log").path
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        // A child that exits before reading its input must not take the test process down with SIGPIPE.
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
        var input: [Int32] = [0, 0]
        guard pipe(&input) == 0 else { throw TestFailure("pipe() failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_addclose(&actions, input[1])
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // env -C: start in `directory` (posix_spawn has no portable chdir action).
        let argv = ["/usr/bin/env", "-C", directory, executable] + arguments
        let pid: pid_t
        do {
            pid = try spawnChild(argv, environment: env.map { "\($0.key)=\($0.value)" }, actions: &actions)
            close(input[0])
        } catch {
            close(input[0])
            close(input[1])
            throw error
        }
        childPID = pid
        if let stdin {
            let bytes = Array(stdin.utf8)
            _ = bytes.withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
        }
        close(input[1])
    }

    /// Runs to completion and returns (exit status, combined output).
    static func run(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], stdin: String? = nil,
        executable: String = ServerProcess.executable, timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, output: String) {
        let process = try ServerProcess(arguments, in: directory, environment: environment, stdin: stdin, executable: executable)
        let status = try await process.waitForExit(timeout: timeout)
        return (status, process.outputText)
    }

    var outputText: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    var pid: Int32 { childPID }

    /// Whether the child still runs; reaps it when it has exited.
    private var isRunning: Bool {
        exitStatus.withLock { exitStatus in
            guard exitStatus == nil else { return false }
            var status: Int32 = 0
            let result = waitpid(childPID, &status, WNOHANG)
            guard result == childPID else { return result == 0 }
            exitStatus = exitCode(fromWaitStatus: status)
            return false
        }
    }

    /// Waits for the start-up line and returns the port it names.
    func waitForPort(timeout: Duration = .seconds(60)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = outputText
            if let range = text.range(of: #"EchoChat listening on http://[^:]+:(\d+)"#, options: .regularExpression) {
                let line = text[range]
                if let port = Int(line.split(separator: ":").last ?? "") { return port }
            }
            if !isRunning { throw TestFailure("echochat exited early:\n\(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("echochat did not report its port:\n\(outputText)")
    }

    func signal(_ signal: Int32) { if isRunning { kill(childPID, signal) } }

    func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            guard ContinuousClock.now < deadline else {
                // SIGTERM first: a browser test quits its browsers on the way out.
                kill(childPID, SIGTERM)
                try? await Task.sleep(for: .seconds(3))
                kill(childPID, SIGKILL)
                throw TestFailure("the child process did not exit in time:\n\(outputText)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return exitStatus.withLock { $0 ?? -1 }
    }

    deinit {
        if isRunning {
            kill(childPID, SIGKILL)
            var status: Int32 = 0
            waitpid(childPID, &status, 0)
        }
        try? FileManager.default.removeItem(atPath: outputPath)
    }
}
