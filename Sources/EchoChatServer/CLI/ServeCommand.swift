import ArgumentParser
import EchoPluginAPI
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `echochat serve`: runs the server until SIGTERM or SIGINT; SIGHUP reloads the strategy.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the server (the default command).")

    @OptionGroup var options: ConfigOptions

    @Option(help: "Listen address (overrides host in server_config.json).")
    var host: String?

    @Option(help: "Listen port; 0 picks a free one (overrides port in server_config.json).")
    var port: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level?

    func run() async throws {
        var setup = try options.loadSetup()
        if let host { setup.server.host = host }
        if let port {
            guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
            setup.server.port = port
        }
        let logger = CLIOutput.logger(level: logLevel ?? setup.server.logLevel)
        for warning in setup.warnings { logger.warning("\(warning)") }
        let server: EchoServer
        do {
            server = try await buildServer(setup: setup, logger: logger)
        } catch let error as ConfigurationError {
            CLIOutput.error("invalid configuration:\n" + error.issues.map { "  " + $0.description }.joined(separator: "\n"))
            throw ExitCode(2)
        } catch {
            CLIOutput.error("cannot start: \(error)")
            throw ExitCode(1)
        }
        let pidFile = PIDFile(dataDirectory: setup.server.dataDirectory)
        // A SIGHUP before the reload service traps it (a reload during start-up) must not end
        // the server, as the signal's default action would.
        signal(SIGHUP, SIG_IGN)
        pidFile.write(logger: logger)
        defer { pidFile.remove() }
        try await server.run()
    }
}
