import EchoPluginAPI
import Logging
import ServiceLifecycle

/// The voice side of the composition root: LiveKit's clients, the strategy (wrapped when
/// sub-rooms are off), and the voice services that share them.
struct VoiceParts {
    let isEnabled: Bool
    let tokens: VoiceTokens
    let webhooks: VoiceWebhookHandler
    let moderation: VoiceModeration
    let publisher: OccupancyPublisher
    /// Offers freed seats to the rooms' queues (a service).
    let queue: VoiceQueue
    let channelModeration: VoiceChannelModeration
    let background: BackgroundCalls
    let reconciler: VoiceReconciler
    /// LiveKit's RoomService, when voice is on.
    let roomService: RoomServiceClient?
    /// Stops LiveKit's HTTP client after everything that calls it.
    let httpClientShutdown: [any Service]
    /// The live strategy, swapped whole by a reload.
    let strategy: StrategySlot
    /// How a strategy is made live, at start-up and on reload.
    let activation: StrategyActivation
    /// Replays decisions through the shadow strategy (a service).
    let shadows: ShadowRunner

    init(
        setup: HostSetup, plugins: LoadedPlugins, rooms: RoomService, bus: any EventBus, hub: ConnectionHub, metrics: HostMetrics, logger: Logger
    ) async throws {
        let server = setup.server
        let config = VoiceConfig(server)
        var livekitTokens: LiveKitTokens?
        if server.livekitEnabled, let key = server.livekitAPIKey, let secret = server.livekitAPISecret {
            livekitTokens = try await LiveKitTokens(apiKey: key, apiSecret: secret)
        }
        let http = livekitTokens.map { _ in RoomServiceClient.makeHTTPClient() }
        var roomService: RoomServiceClient?
        if let livekitTokens, let http {
            roomService = RoomServiceClient(apiURL: server.livekitAPIURL, tokens: livekitTokens, http: http, metrics: metrics, logger: logger)
        }
        activation = StrategyActivation(
            defaults: server.subroomDefaults, subroomsEnabled: config.subroomsEnabled, metrics: metrics.strategy, logger: logger)
        var active = activation.activate(plugins.subrooms, selection: setup.subrooms.selection)
        if let shadow = plugins.shadow, let selection = setup.shadow?.selection {
            active.shadow = activation.shadow(shadow, selection: selection)
        }
        metrics.strategy.recordRevision(active.revision, plugin: active.plugin)
        metrics.strategy.prepareShadow()
        strategy = StrategySlot(active)
        let ledger = ShadowLedger(metrics: metrics.strategy)
        ledger.follow(active.shadow?.revision)
        shadows = ShadowRunner(ledger: ledger, logger: logger)
        let background = BackgroundCalls()
        let publisher = OccupancyPublisher(storage: plugins.storage, names: config.names, bus: bus, logger: logger)
        let provisioner = LiveKitRoomProvisioner(
            roomService: roomService, strategy: strategy, background: background, logger: logger)
        isEnabled = livekitTokens != nil
        let planner = SeatPlanner(strategy: strategy)
        tokens = VoiceTokens(
            config: config, storage: plugins.storage, planner: planner, shadows: shadows, tokens: livekitTokens,
            provisioner: provisioner, publisher: publisher, limiter: RateLimiter(shared: plugins.storage as? any SharedStorage), metrics: metrics,
            logger: logger)
        let queue = VoiceQueue(
            storage: plugins.storage, tokens: tokens, planner: planner, publisher: publisher, bus: bus, hub: hub, reservationTTL: config.reservationTTL,
            logger: logger)
        publisher.onSeatsChanged { queue.nudge($0) }
        self.queue = queue
        webhooks = VoiceWebhookHandler(
            config: config, storage: plugins.storage, tokens: livekitTokens, roomService: roomService, provisioner: provisioner, publisher: publisher,
            background: background, metrics: metrics, logger: logger)
        moderation = VoiceModeration(
            config: config, storage: plugins.storage, rooms: rooms, roomService: roomService, publisher: publisher, queue: queue, logger: logger)
        channelModeration = VoiceChannelModeration(
            config: config, storage: plugins.storage, moderation: moderation, tokens: tokens, strategy: strategy, roomService: roomService,
            publisher: publisher, queue: queue, bus: bus, logger: logger)
        reconciler = VoiceReconciler(
            config: config, storage: plugins.storage, roomService: roomService, provisioner: provisioner, publisher: publisher, logger: logger)
        self.publisher = publisher
        self.background = background
        self.roomService = roomService
        httpClientShutdown = http.map { [HTTPClientShutdown(client: $0)] } ?? []
    }

    func controller(resolver: AccessResolver, guards: RouteGuards) -> VoiceController {
        VoiceController(
            tokens: tokens, webhooks: webhooks, moderation: moderation, channel: channelModeration, queue: queue, publisher: publisher,
            resolver: resolver, guards: guards)
    }
}
