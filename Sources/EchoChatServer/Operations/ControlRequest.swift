import Foundation

/// One operator request over the control socket, as one line of JSON each way.
struct ControlRequest: Codable, Sendable, Equatable {
    enum Command: String, Codable, Sendable {
        case disable = "user.disable"
        case enable = "user.enable"
        case setAdmin = "user.set_admin"
        case reload = "reload"
    }

    let command: Command
    var username = ""
    var revoke = false

    /// The answer: what happened, or why not.
    struct Answer: Codable, Sendable, Equatable {
        var ok: Bool
        var message: String
    }

    /// Where a server with `dataDirectory` listens for operator requests.
    static func socketPath(in dataDirectory: String) -> String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent("control.sock").path
    }
}
