import EchoPluginAPI
import Foundation
import Hummingbird

extension EchoRequestContext {
    /// A `{name}` segment of the path, percent-decoded.
    func pathParameter(_ name: String) throws -> String {
        guard let value = parameters.get(name).flatMap({ $0.removingPercentEncoding }), !value.isEmpty else {
            throw EchoError.invalid("missing \(name) in the path")
        }
        return value
    }

    /// The `{id}` of a message in the path; anything else is a message that does not exist.
    func messageID() throws -> MessageID {
        guard let text = parameters.get("id"), let id = Int64(text), id > 0 else {
            throw EchoError.notFound("no such message in this room", code: "message_not_found")
        }
        return MessageID(id)
    }
}

extension Request {
    /// A positive integer query parameter (`?before=120`), `nil` when absent.
    func positiveQuery(_ name: String) throws -> Int64? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Int64(text), value > 0 else { throw EchoError.invalid("\(name) must be a positive integer") }
        return value
    }

    /// `?limit=`, 50 when absent.
    func pageSize() throws -> Int {
        guard let text = uri.queryParameters.get("limit") else { return 50 }
        guard let limit = Int(text), (1...MessageService.maxPageSize).contains(limit) else {
            throw EchoError.invalid("limit must be between 1 and \(MessageService.maxPageSize)")
        }
        return limit
    }
}
