public import EchoPluginAPI
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `auth.command`: asks a program of the site's own whether a password is right, the way mail
/// and XMPP servers delegate to an external checker. The program gets the username and the
/// password on two lines of its standard input (never on its command line, where other users
/// could read them) and answers with its exit status: 0 the password is right, 1 it is wrong,
/// 2 the user is unknown to it (the next plugin in the chain is asked). The first line it
/// prints, if any, is the user's display name. Any other status, or no answer within
/// `timeout_seconds`, means the checker is unavailable.
///
/// ```json
/// {"plugin": "command", "config": {"command": ["/usr/local/libexec/check-password"], "timeout_seconds": 5}}
/// ```
public struct CommandAuth: AuthProvider {
    public static let name = "command"
    public static let apiVersion = PluginAPIVersion(1, 6)

    public struct Configuration: PluginConfiguration {
        /// The program and its arguments; a relative program path is relative to plugins.json.
        public var command: [String] = []
        public var timeoutSeconds: Double = 5

        enum CodingKeys: String, CodingKey {
            case command
            case timeoutSeconds = "timeout_seconds"
        }

        public init() {}

        public func validate() throws {
            guard let program = command.first, !program.isEmpty else {
                throw ConfigIssue(key: "command", "must name the checking program, e.g. [\"/usr/local/libexec/check-password\"]")
            }
            guard timeoutSeconds > 0, timeoutSeconds <= 60 else { throw ConfigIssue(key: "timeout_seconds", "must be above 0 and at most 60") }
        }
    }

    let program: String
    let arguments: [String]
    let timeout: Double
    let blocking: any BlockingExecutor

    public init(configuration: Configuration, context: PluginContext) async throws {
        // Writing to a checker that has already exited must fail the write, not end the server.
        signal(SIGPIPE, SIG_IGN)
        program = context.resolve(configuredPath: configuration.command[0])
        arguments = Array(configuration.command.dropFirst())
        timeout = configuration.timeoutSeconds
        blocking = context.blocking
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw ConfigIssue(key: "command", "\(program) is not an executable file")
        }
    }

    public func authenticate(_ attempt: LoginAttempt) async throws -> AuthOutcome {
        // The checker reads lines: a password with a line break cannot be put to it faithfully.
        guard !attempt.password.contains(where: \.isNewline), !attempt.username.contains(where: \.isNewline) else { return .invalidCredentials }
        let (program, arguments, timeout) = (program, arguments, timeout)
        let answer = try await blocking.run { try Self.ask(program, arguments, input: "\(attempt.username)\n\(attempt.password)\n", timeout: timeout) }
        switch answer.status {
        case 0:
            let name = answer.output.split(separator: "\n", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) }
            return .authenticated(AuthenticatedIdentity(username: attempt.username, displayName: name.flatMap { $0.isEmpty ? nil : $0 }))
        case 1: return .invalidCredentials
        case 2: return .unknownUser
        default: throw AuthError.backendUnavailable("the password checker exited with status \(answer.status)")
        }
    }

    /// Runs the checker with `input` on its standard input; its status and what it printed.
    static func ask(_ program: String, _ arguments: [String], input: String, timeout: Double) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            throw AuthError.backendUnavailable("the password checker cannot be started: \(error.localizedDescription)")
        }
        // A checker that exits without reading closes the pipe: its exit status is the answer.
        try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            if finished.wait(timeout: .now() + 1) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
            throw AuthError.backendUnavailable("the password checker did not answer within \(timeout) s")
        }
        // At most 4 KiB of output is read: one line is asked for.
        let output = stdout.fileHandleForReading.readData(ofLength: 4096)
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
