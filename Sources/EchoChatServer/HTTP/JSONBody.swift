import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON request and response bodies: snake_case keys, ISO 8601 dates, bounded size, and a 400
/// that names the offending field.
enum JSONBody {
    /// The largest JSON request body accepted.
    static let maxRequestBytes = 64 * 1024

    static let tooLarge = APIError(.contentTooLarge, "payload_too_large", "the request body must be at most \(maxRequestBytes / 1024) KiB")

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? WireJSON.encoder.encode(value)) ?? Data(#"{"error":{"code":"internal_error","message":"encoding failed"}}"#.utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Decodes the request body as `T`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        // A body declared larger than allowed is refused from its header, before it is read.
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxRequestBytes { throw tooLarge }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxRequestBytes)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        }
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("a JSON body is required", code: "invalid_json") }
        if let key = JSONDuplicateKeys.first(in: buffer.readableBytesView) {
            throw APIError.badRequest("the key \"\(key.prefix(64))\" appears twice in one object", code: "invalid_json")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, context) {
            throw APIError.badRequest("missing field \"\(path(context.codingPath + [key]))\"")
        } catch let DecodingError.typeMismatch(type, context) {
            throw APIError.badRequest("field \"\(path(context.codingPath))\" must be \(describe(type))")
        } catch let DecodingError.valueNotFound(type, context) {
            throw APIError.badRequest("field \"\(path(context.codingPath))\" must be \(describe(type)), not null")
        } catch {
            throw APIError.badRequest("the body is not valid JSON", code: "invalid_json")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { key in
            key.intValue.map { "[\($0)]" } ?? snakeCase(key.stringValue)
        }.joined(separator: ".")
    }

    private static func snakeCase(_ key: String) -> String {
        key.reduce(into: "") { text, character in
            if character.isUppercase { text += "_" + character.lowercased() } else { text.append(character) }
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is String?.Type: "a string"
        case is Bool.Type, is Bool?.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int?.Type: "an integer"
        default: "of another type"
        }
    }
}
