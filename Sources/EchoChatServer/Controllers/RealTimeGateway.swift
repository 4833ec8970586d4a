import EchoPluginAPI
import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// `GET /api/ws`: one WebSocket per signed-in client, carrying the events of the rooms the user
/// belongs to.
///
/// A client authenticates with `Authorization: Bearer`, `?access_token=`, or a first frame
/// `{"type":"auth","token":"…"}`. Each connection has a bounded outbox written straight into its
/// channel: a client that stops reading is disconnected when it fills, and never holds up anyone
/// else. A connection that stays silent is pinged, and dropped when it does not answer. The connection ends
/// when its access token expires (a client may send a fresh one as an `auth` frame to stay on),
/// and at once when its session is revoked or its account disabled.
struct RealTimeGateway: Sendable {
    let resolver: AccessResolver
    let storage: any Storage
    let hub: ConnectionHub
    let logger: Logger
    let metrics: HostMetrics
    /// Typing indicators and presence; `nil` where `presence_enabled` is off (typing still goes).
    var typing: TypingRelay? = nil
    var presence: PresenceBoard? = nil
    /// Told when a user's last connection on this instance closes (the voice queue's grace starts).
    var lastConnectionClosed: @Sendable (UserID) -> Void = { _ in }
    var outboxCapacity = 1024
    var outboxMaxBytes = 2 << 20
    var authTimeout: Duration = .seconds(10)
    static let path = "/api/ws"
    static let maxInboundMessage = 16 * 1024

    /// Decides whether an HTTP request becomes a WebSocket. A plain GET (no upgrade) with a bad
    /// token gets the HTTP route's JSON 401; an upgrade with a bad token is accepted and closed at
    /// once with 4001, since a browser cannot read the status of a refused handshake but can act
    /// on a close code (refresh its token, reconnect).
    func shouldUpgrade(_ request: HTTPRequest, channel: any Channel) async throws
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        guard let path = request.path, Self.requestPath(path) == Self.path else { return .dontUpgrade }
        var principal: Principal?
        if let token = Self.token(of: request) {
            do {
                principal = try await resolver.principal(bearer: token)
            } catch {
                let refused = APIError.from(error)?.status == .unauthorized
                return .upgrade([:]) { _, outbound, _ in
                    if refused {
                        try await outbound.close(WebSocketErrorCode(codeNumber: 4001), reason: "invalid or expired access token")
                    } else {
                        try await outbound.close(.unexpectedServerError, reason: "try again shortly")
                    }
                }
            }
        }
        let initial = principal
        let liveness = Liveness()
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandlers([WebSocketMaskGuard(), InboundActivityHandler(liveness: liveness)], position: .first)
        }.get()
        return .upgrade([:]) { inbound, outbound, _ in
            try await self.serve(initial, liveness: liveness, inbound: inbound, outbound: outbound, channel: channel)
        }
    }

    static func requestPath(_ path: String) -> Substring { path.split(separator: "?", maxSplits: 1).first ?? "" }

    /// The bearer token of the upgrade request, from the header or the `access_token` query parameter.
    static func token(of request: HTTPRequest) -> String? {
        if let token = BearerToken.parse(request.headerFields) { return token }
        guard let path = request.path, let query = path.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == "access_token" { return String(parts[1]).removingPercentEncoding }
        }
        return nil
    }

    private func serve(
        _ initial: Principal?, liveness: Liveness, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel
    ) async throws {
        var messages = inbound.messages(maxSize: Self.maxInboundMessage).makeAsyncIterator()
        var principal = initial
        if principal == nil {
            principal = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask(operation: {
                    try await Task.sleep(for: self.authTimeout)
                    channel.close(promise: nil)  // no auth frame in time
                })
                defer { group.cancelAll() }
                return try await authenticateByFirstFrame(&messages, outbound: outbound)
            }
        }
        guard let principal else { return }
        // The outbox asks for a close frame from the channel's event loop; it is sent from here.
        let (closeRequests, requestClose) = AsyncStream.makeStream(of: (code: UInt16, reason: String).self, bufferingPolicy: .bufferingNewest(1))
        let outbox = Outbox(
            channel: channel, capacity: outboxCapacity, maxBytes: outboxMaxBytes,
            onOverflow: { [logger, metrics] in
                metrics.recordSlowDisconnect()
                logger.info("closing a real-time connection that stopped reading", metadata: ["user_id": "\(principal.user.id)"])
                channel.close(promise: nil)
            },
            onClose: { code, reason in
                // The channel goes after a grace period for the close handshake even if the close
                // frame itself never gets out (a client that stopped reading).
                channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
                requestClose.yield((code, reason))
            })
        let id = hub.register(
            userID: principal.user.id, sessionID: principal.session.id, outbox: outbox, liveness: liveness,
            expiresAt: principal.accessTokenExpiresAt)
        defer {
            if let user = hub.unregister(id) { lastConnectionClosed(user) }
            outbox.finish()
        }
        let rooms = Set(try await storage.roomIDs(of: principal.user.id))
        outbox.send(.text(ReadyFrame(user: UserBody(principal.user), rooms: rooms.count).frameText))
        let blocked = try await (storage as? any DirectMessageStore)?.blockedUsers(by: principal.user.id) ?? []
        hub.activate(id, rooms: rooms, blocked: Set(blocked.map(\.blockedID)))
        presence?.connected(principal.user, connection: id)
        defer { presence?.disconnected(principal.user.id, connection: id) }
        var failure: (any Error)?
        await withDiscardingTaskGroup { group in
            group.addTask(operation: {
                for await request in closeRequests {
                    try? await outbound.close(WebSocketErrorCode(codeNumber: Int(request.code)), reason: request.reason)
                    return
                }
            })
            do {
                while let message = try await messages.next() {
                    await handle(message, from: principal, connection: id, outbox: outbox)
                }
            } catch {
                // Handed on, so that a protocol error closes with its code (1007 for text that
                // is not UTF-8, 1009 for a message too large).
                logger.debug("real-time connection ended", metadata: ["error": "\(error)"])
                failure = error
            }
            requestClose.finish()
        }
        // The client left; writes still waiting on a peer that stopped reading must not keep this
        // connection alive, so the channel goes after a grace period for the close handshake.
        channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
        if let failure { throw failure }
    }

    private func authenticateByFirstFrame(
        _ messages: inout WebSocketInboundMessageStream.AsyncIterator, outbound: WebSocketOutboundWriter
    ) async throws -> Principal? {
        guard case .text(let text)? = try await messages.next(), let frame = ClientFrame.parse(text), frame.type == "auth", let token = frame.token else {
            try await outbound.close(WebSocketErrorCode(codeNumber: 4001), reason: "authenticate first: {\"type\":\"auth\",\"token\":\"...\"}")
            return nil
        }
        do {
            return try await resolver.principal(bearer: token)
        } catch {
            try await outbound.close(WebSocketErrorCode(codeNumber: 4001), reason: "invalid or expired access token")
            return nil
        }
    }

    private func handle(_ message: WebSocketMessage, from principal: Principal, connection: Int, outbox: Outbox) async {
        guard case .text(let text) = message, let frame = ClientFrame.parse(text) else {
            outbox.send(.text(ErrorFrame(code: "invalid_frame", message: "frames are JSON objects with a \"type\"").frameText))
            return
        }
        switch frame.type {
        case "ping":
            outbox.send(.text(FixedFrames.pong))
        case "auth":
            // A fresh access token of the same session keeps the connection open past the old one's expiry.
            guard let token = frame.token, let renewed = try? await resolver.principal(bearer: token),
                renewed.session.id == principal.session.id
            else {
                outbox.send(.text(ErrorFrame(code: "invalid_token", message: "that token does not renew this connection").frameText))
                return
            }
            hub.renew(connection, expiresAt: renewed.accessTokenExpiresAt)
            outbox.send(.text(FixedFrames.authOK))
        case "typing":
            if let typing, let refusal = await typing.typing(principal.user, connection: connection, room: frame.room, dm: frame.dm) {
                outbox.send(.text(refusal.frameText))
            }
        case "presence":
            guard let status = frame.status, status == "online" || status == "idle" else {
                outbox.send(.text(ErrorFrame(code: "invalid_frame", message: "presence status is \"online\" or \"idle\"").frameText))
                return
            }
            presence?.activity(principal.user.id, connection: connection, idle: status == "idle")
        default:
            outbox.send(.text(ErrorFrame(code: "unknown_type", message: "unknown frame type").frameText))
        }
    }
}
