import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `echochat reload`: the running server re-reads plugins.json and swaps its sub-room strategy
/// (and shadow) live, as on SIGHUP; prints how it went.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload", abstract: "Make the running server re-read plugins.json and swap its sub-room strategy live.",
        discussion: """
            Asks the server running on this configuration's data_dir over its control socket and prints the outcome; exits 1 \
            when the new strategy was refused (the old one keeps deciding). Without the socket, sends SIGHUP to the process \
            named in data_dir/echochat.pid; the server's log then says how the reload went. Changes to the storage or auth \
            slots are reported and need a restart.
            """)

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let setup = try options.loadSetup()
        let directory = setup.server.dataDirectory
        if let answer = try ControlClient.send(ControlRequest(command: .reload), to: ControlRequest.socketPath(in: directory), timeout: 120) {
            if answer.ok { CLIOutput.print(answer.message) } else { CLIOutput.error(answer.message) }
            if !answer.ok { throw ExitCode(1) }
            return
        }
        let pidFile = PIDFile(dataDirectory: directory)
        guard let pid = pidFile.read(), kill(pid, 0) == 0, PIDFile.isEchoChat(pid) else {
            throw OperatorError("no EchoChat server is running with data_dir \(directory) (no control socket, no live process in \(pidFile.path))")
        }
        guard kill(pid, SIGHUP) == 0 else { throw OperatorError("cannot signal process \(pid): \(String(cString: strerror(errno)))") }
        CLIOutput.print("sent SIGHUP to process \(pid); its log says how the reload went")
    }
}
