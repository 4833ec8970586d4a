import EchoPluginAPI
import Foundation

/// The voice settings of `server_config.json`, as the voice service uses them.
struct VoiceConfig: Sendable {
    var enabled: Bool
    var wsURL: String
    var tokenTTL: TimeInterval
    var names: LiveKitRoomNames
    var subroomsEnabled: Bool
    var reservationTTL: TimeInterval
    var kickDuration: TimeInterval
    var muteDuration: TimeInterval
    var reconcileInterval: TimeInterval
    var tokenRateLimit: RateLimitRule?

    init(_ server: ServerConfig) {
        enabled = server.livekitEnabled
        wsURL = server.livekitWSURL
        tokenTTL = TimeInterval(server.livekitTokenTTLSeconds)
        names = LiveKitRoomNames(prefix: server.livekitRoomPrefix)
        subroomsEnabled = server.livekitSubroomsEnabled
        reservationTTL = TimeInterval(server.livekitReservationSeconds)
        kickDuration = TimeInterval(server.livekitVoiceKickSeconds)
        muteDuration = TimeInterval(server.livekitVoiceMuteSeconds)
        reconcileInterval = TimeInterval(server.livekitReconcileIntervalSeconds)
        tokenRateLimit = server.rateLimitLivekitToken
    }

    static let disabled = EchoError.unavailable("livekit_disabled", "voice is not enabled on this server")
}
