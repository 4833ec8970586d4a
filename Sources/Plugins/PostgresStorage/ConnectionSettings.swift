import EchoPluginAPI
import Foundation
import NIOSSL
import PostgresNIO

/// Where and how to connect, from a `postgres://` URL or from separate fields.
struct ConnectionSettings: Sendable {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String?

    /// `host:port/database` as user@: what logs and errors may show (never the password).
    var location: String { "\(user)@\(host):\(port)/\(database ?? user)" }

    init(host: String, port: Int, user: String, password: String?, database: String?) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses `postgres://user:password@host:port/database` (also `postgresql://`). The
    /// parts are percent-decoded; `sslmode` and other query parameters are refused, since
    /// TLS is the plugin's `tls` key.
    init(url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw ConfigIssue(key: "url", "must look like postgres://user:password@host:5432/database")
        }
        guard let host = components.host, !host.isEmpty else { throw ConfigIssue(key: "url", "names no host") }
        guard let user = components.user, !user.isEmpty else { throw ConfigIssue(key: "url", "names no user") }
        if let items = components.queryItems, !items.isEmpty {
            throw ConfigIssue(key: "url", "takes no query parameters (set TLS with the \"tls\" key)")
        }
        if let port = components.port, !(1...65_535).contains(port) { throw ConfigIssue(key: "url", "has a port outside 1–65535") }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.user = user
        self.password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? nil : path
    }

    init(configuration: PostgresStorage.Configuration, environment: [String: String]) throws {
        if let url = environment["DATABASE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do {
                try self.init(url: url)
            } catch let issue as ConfigIssue {
                throw ConfigIssue(key: "url", "DATABASE_URL \(issue.message)")
            }
        } else if let url = configuration.url {
            try self.init(url: url)
        } else {
            self.init(
                host: configuration.host ?? "127.0.0.1", port: configuration.port ?? 5432, user: configuration.user ?? "echochat",
                password: configuration.password, database: configuration.database)
        }
        if let file = configuration.passwordFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigIssue(key: "password_file", "cannot read \(file)")
            }
            password = text.trimmingCharacters(in: .newlines)
        }
    }

    /// The TLS settings for the pool and for single connections. `prefer` encrypts when the
    /// server offers it without checking its certificate (like libpq's `sslmode=prefer`);
    /// `require` insists on TLS and verifies the certificate and host name against the system's
    /// authorities or `ca_file`.
    static func tls(
        _ mode: PostgresStorage.Configuration.TLSMode, caFile: String?
    ) throws -> (client: PostgresClient.Configuration.TLS, connection: PostgresConnection.Configuration.TLS) {
        guard mode != .disable else { return (.disable, .disable) }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if mode == .prefer { configuration.certificateVerification = .none }
        if let caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else { throw ConfigIssue(key: "ca_file", "cannot read \(caFile)") }
            configuration.trustRoots = .file(caFile)
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigIssue(key: "ca_file", "cannot set up TLS: \(error)")
        }
        return mode == .require ? (.require(configuration), .require(context)) : (.prefer(configuration), .prefer(context))
    }
}
