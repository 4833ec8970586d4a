import Foundation
import NIOCore

/// The one JSON encoding of the API's bodies and WebSocket frames: snake_case keys, ISO 8601
/// dates, sorted keys (so frames built by hand can match it).
enum WireJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// `value` encoded, as a frame or body buffer.
    static func buffer<T: Encodable>(_ value: T) throws -> ByteBuffer {
        ByteBuffer(bytes: try encoder.encode(value))
    }
}
