import EchoPluginAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Voice routes: LiveKit tokens, LiveKit's webhook, a room's voice occupancy, and voice moderation.
struct VoiceController: Sendable {
    let rooms: RoomsController
    let voice: VoiceService

    struct TokenRequest: Decodable {
        let room: String
    }

    struct SubroomsBody: Encodable {
        let subrooms: [SubroomBody]
    }

    /// The largest webhook body accepted; LiveKit's events are a few kilobytes.
    static let maxWebhookBytes = 1 << 20

    func addRoutes(to router: Router<EchoRequestContext>) {
        router.post("/api/livekit/token") { request, _ in
            _ = try await rooms.accounts.verifiedClaims(bearer: AuthController.bearerToken(request))
            let body = try await JSONBody.decode(TokenRequest.self, from: request)
            guard body.room.count <= 100, let (name, subroom) = LiveKitRoomNames.split(body.room), RoomNames.isValid(name) else {
                _ = try await rooms.principal(request)  // not signed in is said before no such room
                throw APIError.notFound("no such room", code: "room_not_found")
            }
            let access = try await rooms.access(name, request)
            let minted = try await voice.token(access, preferredSubroom: body.room == name ? nil : subroom)
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: minted.json))
        }
        router.post("/api/livekit/webhook") { request, _ in
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: Self.maxWebhookBytes)
            } catch is NIOTooManyBytesError {
                throw APIError(.contentTooLarge, "payload_too_large", "a webhook body must be at most 1 MiB")
            }
            try await voice.receiveWebhook(authorization: request.headers[.authorization], body: body)
            return JSONBody.response(["status": "ok"])
        }
        router.get("/api/rooms/{name}/voice") { request, context in
            let access = try await rooms.access(request, context)
            try access.require(.view)
            return JSONBody.response(SubroomsBody(subrooms: try await voice.occupancy(of: access.room)))
        }
        router.post("/api/rooms/{name}/voice/kick") { request, context in
            let access = try await rooms.access(request, context)
            let body = try await JSONBody.decode(RoomsController.UsernameRequest.self, from: request)
            try await voice.kick(body.username, in: access)
            return Response(status: .noContent)
        }
        router.post("/api/rooms/{name}/voice/mute") { request, context in
            let access = try await rooms.access(request, context)
            let body = try await JSONBody.decode(RoomsController.UsernameRequest.self, from: request)
            try await voice.mute(body.username, in: access)
            return Response(status: .noContent)
        }
    }
}
