import EchoPluginAPI
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// A configured EchoChat server: the HTTP application and its plugins, ready to run.
struct EchoServer: Sendable {
    let application: Application<RouterResponder<EchoRequestContext>>
    let plugins: LoadedPlugins
    /// Host background work: housekeeping timers.
    let services: [any Service]
    let logger: Logger

    /// Runs until a shutdown signal (or cancellation), then shuts the plugins down.
    func run(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [application] + services + plugins.services, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
        do {
            try await group.run()
        } catch {
            await plugins.shutdown(logger: logger)
            throw error
        }
        await plugins.shutdown(logger: logger)
        logger.info("EchoChat stopped")
    }
}

/// The composition root, shared by `echochat serve` and the tests: data directory, plugins,
/// accounts, routes.
func buildServer(
    setup: HostSetup, logger: Logger, metrics: HostMetrics = HostMetrics(),
    onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
) async throws -> EchoServer {
    let server = setup.server
    do {
        try FileManager.default.createDirectory(
            atPath: server.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
        throw SetupError("cannot create data_dir \(server.dataDirectory): \(error.localizedDescription)")
    }
    let secret = try SigningSecret.load(configured: server.tokenSigningSecret, dataDirectory: server.dataDirectory)
    let tokens = await TokenService(secret: secret, accessTokenTTL: TimeInterval(server.accessTokenTTLSeconds))
    let plugins = try await LoadedPlugins.start(setup, logger: logger, blocking: ThreadPoolExecutor())

    let accounts = AccountService(
        storage: plugins.storage, authChain: plugins.auth, tokens: tokens, limiter: RateLimiter(), config: server,
        metrics: metrics, logger: logger)

    let router = Router(context: EchoRequestContext.self)
    router.add(middleware: APIMiddleware(metrics: metrics, logger: logger))
    OperationsController(storage: plugins.storage, metrics: metrics, logger: logger).addRoutes(to: router)
    AuthController(accounts: accounts, trustedProxies: Set(server.trustedProxies)).addRoutes(to: router)

    let summary = plugins.summary
    let application = Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .seconds(75))),
        configuration: .init(address: .hostname(server.host, port: server.port), serverName: "EchoChat"),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? server.port
            logger.info("EchoChat listening on http://\(server.host):\(port) (\(summary))")
            await onListening(server.host, port)
        },
        logger: logger
    )
    return EchoServer(
        application: application, plugins: plugins, services: [
            SessionJanitor(
                storage: plugins.storage, logger: logger, usedTokenRetention: TimeInterval(server.refreshTokenTTLDays) * 86_400)
        ], logger: logger)
}
