import AsyncHTTPClient
import EchoPluginAPI
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A Twirp error body: `{"code": "not_found", "msg": "…"}`.
private struct TwirpErrorBody: Decodable {
    let code: String
    let msg: String
}

/// LiveKit's RoomService over Twirp JSON: `POST {livekit_api_url}/twirp/livekit.RoomService/{Method}`,
/// each call with a fresh token carrying just the grant it needs.
struct RoomServiceClient: Sendable {
    let baseURL: String
    let tokens: LiveKitTokens
    let http: HTTPClient
    let metrics: HostMetrics
    let logger: Logger
    var timeout: TimeAmount = .seconds(5)

    /// An HTTP client for LiveKit: a refused connection fails the call at once rather than being
    /// retried until the call's deadline, so an unreachable LiveKit never holds up a token.
    static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(2)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    init(apiURL: String, tokens: LiveKitTokens, http: HTTPClient, metrics: HostMetrics, logger: Logger) {
        // The SDKs turn ws:// into http:// and wss:// into https://.
        var base = apiURL
        if base.hasPrefix("ws://") { base = "http://" + base.dropFirst(5) }
        if base.hasPrefix("wss://") { base = "https://" + base.dropFirst(6) }
        self.baseURL = base.trimmingTrailingSlashes
        self.tokens = tokens
        self.http = http
        self.metrics = metrics
        self.logger = logger
    }

    /// Get-or-create: an active room comes back unchanged, with its original settings.
    func createRoom(_ name: String, maxParticipants: Int) async throws {
        struct Request: Encodable {
            let name: String
            let maxParticipants: Int
            enum CodingKeys: String, CodingKey {
                case name
                case maxParticipants = "max_participants"
            }
        }
        struct Room: Decodable { let name: String? }
        let _: Room = try await call("CreateRoom", Request(name: name, maxParticipants: maxParticipants), grant: LiveKitVideoGrant(roomCreate: true))
    }

    /// How many rooms are active: the cheapest call that proves the API key works.
    func activeRoomCount() async throws -> Int {
        struct Response: Decodable {
            struct Room: Decodable { let name: String? }
            let rooms: [Room]?
        }
        let response: Response = try await call("ListRooms", [String: [String]](), grant: LiveKitVideoGrant(roomList: true))
        return response.rooms?.count ?? 0
    }

    /// Whether LiveKit's API answers at all (any HTTP answer to `GET /`, which LiveKit answers
    /// `OK`): for readiness checks, without a token or a RoomService call.
    func checkReachable() async throws {
        var request = HTTPClientRequest(url: "\(baseURL)/")
        request.method = .GET
        do {
            let response = try await http.execute(request, timeout: timeout)
            _ = try await response.body.collect(upTo: 1 << 16)
        } catch {
            throw LiveKitError.unreachable(Self.describe(error))
        }
    }

    /// The participants of a room; an unknown room has none.
    func listParticipants(_ room: String) async throws -> [LiveKitParticipant] {
        struct Response: Decodable { let participants: [LiveKitParticipant]? }
        let response: Response = try await call("ListParticipants", ["room": room], grant: LiveKitVideoGrant(roomAdmin: true, room: room))
        return response.participants ?? []
    }

    /// One participant, or `nil` when LiveKit does not know them.
    func participant(_ identity: String, in room: String) async throws -> LiveKitParticipant? {
        do {
            return try await call("GetParticipant", ["room": room, "identity": identity], grant: LiveKitVideoGrant(roomAdmin: true, room: room))
        } catch let error as LiveKitError where error.isNotFound {
            return nil
        }
    }

    /// Disconnects a participant; `false` when they were not there.
    @discardableResult
    func removeParticipant(_ identity: String, from room: String) async throws -> Bool {
        struct Empty: Decodable {}
        do {
            let _: Empty = try await call(
                "RemoveParticipant", ["room": room, "identity": identity], grant: LiveKitVideoGrant(roomAdmin: true, room: room))
            return true
        } catch let error as LiveKitError where error.isNotFound {
            return false
        }
    }

    /// Mutes one published track.
    func mutePublishedTrack(_ trackSID: String, of identity: String, in room: String) async throws {
        struct Request: Encodable {
            let room: String
            let identity: String
            let trackSid: String
            let muted = true
            enum CodingKeys: String, CodingKey {
                case room, identity, muted
                case trackSid = "track_sid"
            }
        }
        struct Response: Decodable {}
        let _: Response = try await call(
            "MutePublishedTrack", Request(room: room, identity: identity, trackSid: trackSID),
            grant: LiveKitVideoGrant(roomAdmin: true, room: room))
    }

    /// Takes a participant's publishing rights away (or gives them back, limited to `sources`,
    /// since the permission replaces the token's): unlike muting a track, this the participant
    /// cannot undo, and LiveKit's token refreshes carry it on. `false` when they are not there.
    @discardableResult
    func setCanPublish(_ canPublish: Bool, identity: String, in room: String, sources: [TrackSource] = []) async throws -> Bool {
        struct Request: Encodable {
            struct Permission: Encodable {
                let canSubscribe = true
                let canPublish: Bool
                let canPublishData: Bool
                /// The protobuf enum's names (`MICROPHONE`), as Twirp's JSON takes them.
                let canPublishSources: [String]
                enum CodingKeys: String, CodingKey {
                    case canSubscribe = "can_subscribe"
                    case canPublish = "can_publish"
                    case canPublishData = "can_publish_data"
                    case canPublishSources = "can_publish_sources"
                }
            }
            let room: String
            let identity: String
            let permission: Permission
        }
        do {
            let _: LiveKitParticipant = try await call(
                "UpdateParticipant",
                Request(
                    room: room, identity: identity,
                    permission: .init(
                        canPublish: canPublish, canPublishData: canPublish,
                        canPublishSources: canPublish ? sources.map { $0.rawValue.uppercased() } : [])),
                grant: LiveKitVideoGrant(roomAdmin: true, room: room))
            return true
        } catch let error as LiveKitError where error.isNotFound {
            return false
        }
    }

    private func call<Response: Decodable>(_ method: String, _ body: some Encodable, grant: LiveKitVideoGrant) async throws -> Response {
        var request = HTTPClientRequest(url: "\(baseURL)/twirp/livekit.RoomService/\(method)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(try await tokens.serverToken(grant: grant))")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        let response: HTTPClientResponse
        let payload: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            payload = try await response.body.collect(upTo: 16 << 20)
        } catch {
            metrics.recordLiveKitCall(method, outcome: "unreachable")
            throw LiveKitError.unreachable(Self.describe(error))
        }
        guard response.status == .ok else {
            metrics.recordLiveKitCall(method, outcome: "error")
            if let error = try? JSONDecoder().decode(TwirpErrorBody.self, from: Data(payload.readableBytesView)) {
                throw LiveKitError.twirp(code: error.code, message: error.msg, status: Int(response.status.code))
            }
            // Middleware failures (a bad token) and proxies answer in plain text: logged, not passed on.
            let text = String(buffer: payload).prefix(200)
            logger.warning("LiveKit answered without a Twirp error", metadata: ["method": "\(method)", "status": "\(response.status.code)", "body": "\(text)"])
            throw LiveKitError.twirp(code: "http_\(response.status.code)", message: String(text), status: Int(response.status.code))
        }
        do {
            let decoded = try JSONDecoder().decode(Response.self, from: Data(payload.readableBytesView))
            metrics.recordLiveKitCall(method, outcome: "ok")
            return decoded
        } catch {
            metrics.recordLiveKitCall(method, outcome: "error")
            throw LiveKitError.invalidResponse("\(method): \(error)")
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        return String(describing: error).prefix(200).description
    }
}
