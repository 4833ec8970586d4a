import EchoPluginAPI
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// A configured EchoChat server: the HTTP application and its plugins, ready to run.
struct EchoServer: Sendable {
    let application: Application<RouterResponder<EchoRequestContext>>
    let plugins: LoadedPlugins
    /// Owns the live sub-room strategies, which reloads replace.
    let strategies: StrategyReloader
    /// Host background work: housekeeping timers.
    let services: [any Service]
    /// Told first when the server stops, so that `/readyz` turns 503 before the listener closes.
    let readiness: ReadinessMonitor
    let logger: Logger
    /// Every route, as `GET /api/rooms/{name}`: what the OpenAPI document must describe.
    let routes: [String]

    /// Runs until a shutdown signal (or cancellation), then shuts the plugins down.
    func run(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: plugins.services + services + [application, readiness], gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
        do {
            try await group.run()
        } catch {
            await shutdown()
            throw error
        }
        await shutdown()
        logger.info("EchoChat stopped")
    }

    private func shutdown() async {
        await strategies.shutDownLive()
        await plugins.shutdown(logger: logger, strategies: false)
    }
}

/// The composition root, shared by `echochat serve` and the tests: data directory, plugins,
/// accounts, routes.
func buildServer(
    setup: HostSetup, registry: PluginRegistry = PluginsInUse.registry, logger: Logger, metrics: HostMetrics = HostMetrics(),
    onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
) async throws -> EchoServer {
    let server = setup.server
    do {
        try FileManager.default.createDirectory(
            atPath: server.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
        throw SetupError("cannot create data_dir \(server.dataDirectory): \(error.localizedDescription)")
    }
    let web = try loadWebFiles(server, logger: logger)
    do {
        try NameSkeletons.checkData()
    } catch {
        throw SetupError("the system's ICU cannot tell look-alike names apart (is libicu installed?): \(error)")
    }
    let secret = try SigningSecret.load(configured: server.tokenSigningSecret, dataDirectory: server.dataDirectory)
    let tokens = await TokenService(secret: secret, accessTokenTTL: TimeInterval(server.accessTokenTTLSeconds))
    let plugins = try await LoadedPlugins.start(setup, logger: logger, blocking: ThreadPoolExecutor())

    let hub = ConnectionHub(metrics: metrics)
    let presence = server.presenceEnabled ? PresenceBoard(hub: hub) : nil
    let bus: any EventBus
    var busServices: [any Service] = []
    if let shared = plugins.storage as? any SharedStorage {
        let sharedBus = SharedEventBus(
            hub: hub, presence: presence, storage: shared, logger: logger, metrics: metrics,
            catchUpEvents: { messages in try await MessageService.createdEvents(for: messages, storage: shared) })
        bus = sharedBus
        busServices = [sharedBus]
    } else {
        bus = LocalEventBus(hub: hub, presence: presence)
    }
    let rooms = RoomService(storage: plugins.storage, bus: bus, logger: logger)
    let resolver = AccessResolver(storage: plugins.storage, tokens: tokens)
    let names = LookalikeNames(storage: plugins.storage, logger: logger)
    let accounts = AccountService(
        storage: plugins.storage, authChain: plugins.auth, tokens: tokens, limiter: RateLimiter(shared: plugins.storage as? any SharedStorage),
        config: AccountsConfig(server), metrics: metrics, logger: logger, bus: bus, rooms: rooms, names: names)
    let sessions = SessionService(accounts: accounts)
    let writer = MessageWriter(storage: plugins.storage, bus: bus, logger: logger)
    let messages = MessageService(storage: plugins.storage, bus: bus, writer: writer, maxBodyLength: server.messageMaxLength)
    let voice = try await VoiceParts(setup: setup, plugins: plugins, rooms: rooms, bus: bus, hub: hub, metrics: metrics, logger: logger)
    let audit = ServerAudit(storage: plugins.storage, logger: logger)
    let reloader = StrategyReloader(
        startup: setup, registry: registry, slot: voice.strategy, activation: voice.activation, shadows: voice.shadows.ledger, storage: plugins.storage,
        audit: audit, logger: logger)
    var gateway = RealTimeGateway(
        resolver: resolver, storage: plugins.storage, hub: hub, logger: logger, metrics: metrics, lastConnectionClosed: { voice.queue.disconnected($0) })
    gateway.typing = TypingRelay(storage: plugins.storage, bus: bus, hub: hub)
    gateway.presence = presence

    let readiness = ReadinessMonitor(storage: plugins.storage, roomService: voice.roomService, logger: logger)
    let guards = RouteGuards(resolver: resolver)
    let router = Router(context: EchoRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: APIMiddleware(metrics: metrics, readiness: readiness, logger: logger))
    router.addRoutes(
        OperationsController(
            storage: plugins.storage, metrics: metrics, readiness: readiness, servesMetrics: server.metricsListen == nil, logger: logger
        ).endpoints)
    let dms = DirectMessageService(storage: plugins.storage, bus: bus, logger: logger, maxMembers: server.dmMaxMembers)
    let messageRoutes = MessagesController(
        messages: messages, reactions: ReactionService(storage: plugins.storage, bus: bus), dms: dms, reads: ReadMarkers(storage: plugins.storage, bus: bus),
        guards: guards)
    router.addRoutes(AuthController(accounts: accounts, sessions: sessions, dms: dms, guards: guards, trustedProxies: Set(server.trustedProxies)).endpoints)
    router.addRoutes(RoomsController(rooms: rooms, guards: guards, voice: voice.moderation).endpoints)
    router.addRoutes(MembersController(rooms: rooms, guards: guards, voice: voice.moderation, presence: presence).endpoints)
    router.addRoutes(messageRoutes.endpoints)
    router.addRoutes(DirectMessagesController(dms: dms, messages: messageRoutes, guards: guards).endpoints)
    router.addRoutes(voice.controller(resolver: resolver, guards: guards).endpoints)
    router.addRoutes(AdminController(strategy: voice.strategy, shadows: voice.shadows.ledger, audit: audit, guards: guards).endpoints)
    router.addRoutes(
        WebClientController(
            assets: web.assets, openAPI: web.openAPI,
            config: .init(
                registrationEnabled: plugins.auth.contains { $0.provider.allowsRegistration }, livekitEnabled: voice.isEnabled,
                livekitClientURL: server.livekitClientURL, version: EchoChatCommand.version, presenceEnabled: server.presenceEnabled),
            livekitWSURL: voice.isEnabled ? server.livekitWSURL : nil
        ).endpoints)
    router.get(RouterPath(RealTimeGateway.path)) { request, _ -> Response in
        // Reached only when the request was not upgraded: a plain GET, or a bad token (answered 401 here).
        if let token = BearerToken.parse(request.headers) ?? request.uri.queryParameters.get("access_token").map({ String($0) }) {
            _ = try await resolver.principal(bearer: token)
        }
        throw APIError(.badRequest, "websocket_required", "connect with a WebSocket upgrade")
    }

    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
    let routes = router.routes.map { "\($0.method) \($0.path)" }
    let summary = plugins.summary
    let application = Application(
        router: router,
        server: .echoChat(server, gateway: gateway, metrics: metrics),
        // A restart sees every client reconnect at once: the kernel queues up to this many
        // handshakes (capped by net.core.somaxconn) instead of dropping them.
        configuration: .init(address: .hostname(server.host, port: server.port), serverName: "EchoChat", backlog: 4096),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? server.port
            logger.info("EchoChat listening on http://\(server.host):\(port) (\(summary))")
            await onListening(server.host, port)
        },
        logger: logger
    )
    // Services stop in reverse order: the LiveKit client last, after everything that calls it.
    // The bus stops after the writer, which publishes what it still writes on the way down.
    var services: [any Service] = busServices
    if let presence { services.append(PresenceService(board: presence, bus: bus)) }
    services += voice.httpClientShutdown
    services += [
        writer,
        voice.publisher,
        voice.queue,
        voice.background,
        voice.reconciler,
        ConnectionWatchdog(
            hub: hub, storage: plugins.storage, logger: logger, metrics: metrics, pingInterval: .seconds(Int64(server.wsPingIntervalSeconds))),
        SessionJanitor(storage: plugins.storage, logger: logger, usedTokenRetention: TimeInterval(server.refreshTokenTTLDays) * 86_400),
        NameIndexing(names: names, storageName: "\(setup.storage.id)", logger: logger),
    ]
    for (source, provider) in plugins.auth {
        guard let policy = provider.directorySync else { continue }
        services.append(DirectorySync(source: source, provider: provider, policy: policy, sessions: sessions, metrics: metrics, logger: logger))
    }
    services.append(
        ControlServer(
            path: ControlRequest.socketPath(in: server.dataDirectory), actions: OperatorActions(storage: plugins.storage, sessions: sessions, audit: audit),
            reloader: reloader, logger: logger))
    services += [reloader, ReloadOnHangup(reloader: reloader), voice.shadows]
    if let listen = server.metricsListen { services.append(metricsListener(listen, metrics: metrics, logger: logger)) }
    return EchoServer(
        application: application, plugins: plugins, strategies: reloader, services: services, readiness: readiness, logger: logger, routes: routes)
}

/// `/metrics` on a listener of its own (`metrics_listen`, say on loopback), away from the API.
private func metricsListener(_ listen: (host: String, port: Int), metrics: HostMetrics, logger: Logger) -> any Service {
    let router = Router(context: EchoRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: metrics.render()))
    }
    return Application(
        router: router, configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "EchoChat"),
        onServerRunning: { channel in
            logger.info("EchoChat metrics on http://\(listen.host):\(channel.localAddress?.port ?? listen.port)/metrics")
        },
        logger: logger)
}

/// The browser client's files (bundled, or from `web_root`) and the OpenAPI document. Read before
/// any plugin starts, so that a bad `web_root` fails start-up with nothing to clean up.
private func loadWebFiles(_ server: ServerConfig, logger: Logger) throws -> (assets: WebAssets?, openAPI: ByteBuffer?) {
    let resources = WebAssets.bundledResources()
    var assets: WebAssets?
    if server.webClientEnabled {
        if let root = server.webRoot {
            assets = try WebAssets(folder: root)
        } else if let resources {
            assets = try WebAssets(folder: resources + "/web")
        } else {
            logger.warning("the web client's files were not found beside the executable; serving the API only (set web_root to their folder)")
        }
    }
    let openAPI = resources.flatMap { FileManager.default.contents(atPath: $0 + "/openapi.json") }.map { ByteBuffer(bytes: $0) }
    if openAPI == nil { logger.warning("the OpenAPI document was not found beside the executable; /api/openapi.json answers 404") }
    return (assets, openAPI)
}
