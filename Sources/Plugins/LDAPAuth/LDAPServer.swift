import EchoPluginAPI
import Foundation

/// One configured directory server.
struct LDAPServer: Sendable, Hashable, CustomStringConvertible {
    let uri: String
    /// Its position in `uris`: lower is preferred.
    let index: Int
    /// Whether the URI is `ldaps://` (TLS from the first byte).
    let usesTLS: Bool
    /// Whether the host is this machine, where unencrypted LDAP stays off the network.
    let isLoopback: Bool

    var description: String { uri }

    /// Checks one entry of `uris` against the `security` setting.
    init(uri: String, index: Int, security: LDAPAuth.Configuration.Security) throws {
        let key = "uris[\(index)]"
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw ConfigIssue(key: key, "must look like ldap://host:389 or ldaps://host:636, not \"\(uri)\"")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.user == nil else {
            throw ConfigIssue(key: key, "must name only a server (scheme, host and port); set base_dn and bind_dn separately")
        }
        if let port = components.port, !(1...65_535).contains(port) { throw ConfigIssue(key: key, "has a port outside 1–65535") }
        switch (scheme, security) {
        case ("ldap", .none), ("ldap", .starttls), ("ldaps", .ldaps):
            break
        case ("ldaps", _):
            throw ConfigIssue(key: key, "is ldaps://, so set \"security\": \"ldaps\"")
        case ("ldap", .ldaps):
            throw ConfigIssue(key: key, "is ldap://, but \"security\" is \"ldaps\": use an ldaps:// URI")
        default:
            throw ConfigIssue(key: key, "must use the ldap:// or ldaps:// scheme")
        }
        self.uri = uri
        self.index = index
        self.usesTLS = scheme == "ldaps"
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        let isIPv4Loopback = octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
        self.isLoopback = host == "localhost" || isIPv4Loopback || host == "[::1]" || host == "::1"
    }
}

/// How connections use TLS.
struct LDAPTLSSettings: Sendable {
    var startTLS: Bool
    var caFile: String?
    var verifyCertificate: Bool
}

/// Per-call limits given to libldap.
struct LDAPTimeouts: Sendable {
    var connectMilliseconds: Int
    var operationMilliseconds: Int
}
