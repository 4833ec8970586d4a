import CLDAP
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A failed libldap call: its result code and what the library or server said.
struct LDAPFailure: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    /// The server could not be reached or stopped answering: try another one.
    var isUnreachable: Bool {
        // LDAP_SERVER_DOWN, LDAP_TIMEOUT, LDAP_CONNECT_ERROR, busy (51), unavailable (52)
        [-1, -5, -11, 51, 52].contains(code)
    }

    var isInvalidCredentials: Bool { code == 49 }
    var isNoSuchObject: Bool { code == 32 }

    var description: String { "LDAP error \(code) (\(message))" }
}

/// One entry of a search result: its DN and the values of the attributes asked for.
struct LDAPEntry: Sendable, Equatable {
    let dn: String
    /// Attribute names as asked for, lowercased, to their values (UTF-8).
    let attributes: [String: [String]]

    func first(_ attribute: String) -> String? { attributes[attribute.lowercased()]?.first }
    func values(_ attribute: String) -> [String] { attributes[attribute.lowercased()] ?? [] }
}

/// One connection to one directory server, over libldap's synchronous API.
///
/// The `LDAP*` handle is not thread-safe; ``LDAPPool`` hands a connection to one borrower at a
/// time, and every call on it runs on the plugin's own threads, never on an event loop. That
/// exclusivity is why the class can be `@unchecked Sendable`.
final class LDAPConnection: @unchecked Sendable {
    let server: LDAPServer
    private var handle: OpaquePointer?
    /// The socket watch installed on the handle; freed after the handle is.
    private var watch: UnsafeMutablePointer<echo_ldap_watch>?
    /// Who the connection is bound as now: `nil` for anonymous.
    private(set) var boundDN: String?
    /// Whether the last bind was made with the service credentials.
    private(set) var isServiceBound = false
    let opened = ContinuousClock.now

    private init(server: LDAPServer, handle: OpaquePointer) {
        self.server = server
        self.handle = handle
    }

    deinit { close() }

    /// Connects (TCP, then TLS as configured) with the network timeout; blocking.
    static func open(_ server: LDAPServer, tls: LDAPTLSSettings, timeouts: LDAPTimeouts) throws -> LDAPConnection {
        var raw: OpaquePointer?
        let code = ldap_initialize(&raw, server.uri)
        guard code == LDAP_SUCCESS, let raw else {
            throw LDAPFailure(code: code, message: String(cString: ldap_err2string(code)))
        }
        let connection = LDAPConnection(server: server, handle: raw)
        try connection.connect(tls: tls, timeouts: timeouts)
        return connection
    }

    /// Sets the handle's options and connects. An instance method, so that the connection (and
    /// the socket watch it frees when it goes) outlives everything here that uses the watch.
    private func connect(tls: LDAPTLSSettings, timeouts: LDAPTimeouts) throws {
        guard let raw = handle else { throw LDAPFailure(code: -1, message: "connection closed") }
        var version: Int32 = LDAP_VERSION3
        _ = ldap_set_option(raw, LDAP_OPT_PROTOCOL_VERSION, &version)
        // Referrals would be chased with the same credentials to servers nobody configured.
        _ = ldap_set_option(raw, LDAP_OPT_REFERRALS, nil)
        var network = echo_ldap_timeval(Int32(timeouts.connectMilliseconds))
        _ = ldap_set_option(raw, LDAP_OPT_NETWORK_TIMEOUT, &network)
        var operation = echo_ldap_timeval(Int32(timeouts.operationMilliseconds))
        _ = ldap_set_option(raw, LDAP_OPT_TIMEOUT, &operation)
        var code: Int32
        if server.usesTLS || tls.startTLS {
            var demand: Int32 = tls.verifyCertificate ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
            _ = ldap_set_option(raw, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)
            if let caFile = tls.caFile {
                code = ldap_set_option(raw, LDAP_OPT_X_TLS_CACERTFILE, caFile)
                guard code == LDAP_OPT_SUCCESS else { throw LDAPFailure(code: code, message: "cannot use ca_file") }
            }
            var minimum: Int32 = 0x303  // LDAP_OPT_X_TLS_PROTOCOL_TLS1_2, a macro Swift does not import
            _ = ldap_set_option(raw, LDAP_OPT_X_TLS_PROTOCOL_MIN, &minimum)
            // A context of this handle's own, so these settings apply (0: a client context).
            var client: Int32 = 0
            code = ldap_set_option(raw, LDAP_OPT_X_TLS_NEWCTX, &client)
            guard code == LDAP_OPT_SUCCESS else { throw failure(code) }
        }
        guard let watch = echo_ldap_watch_install(raw) else { throw LDAPFailure(code: -1, message: "cannot watch the connection's socket") }
        self.watch = watch
        // libldap bounds connecting and each operation, but not every TLS handshake: past the
        // deadline, the socket is shut down under the blocked call.
        let deadline = OpenDeadline.start(watch: watch, milliseconds: timeouts.connectMilliseconds + timeouts.operationMilliseconds)
        if tls.startTLS && !server.usesTLS {
            code = ldap_start_tls_s(raw, nil, nil)
        } else {
            // libldap connects lazily; connect now so a dead server shows up here, under the network timeout.
            code = ldap_connect(raw)
        }
        if deadline.finish() {
            throw LDAPFailure(code: LDAP_TIMEOUT, message: "the server accepted the connection but did not answer in time")
        }
        guard code == LDAP_SUCCESS else {
            let reason = self.failure(code)
            if (server.usesTLS || tls.startTLS) && echo_ldap_watch_connected(watch) != 0 && code != LDAP_TIMEOUT {
                throw LDAPFailure(
                    code: code,
                    message: "TLS with the server failed (check ca_file, and that the server's certificate names the host in the URI): \(reason.message)")
            }
            throw reason
        }
    }

    /// A simple bind. Refuses an empty password: to a directory that is an unauthenticated bind,
    /// which "succeeds" without proving anything.
    func bind(dn: String, password: String, asService: Bool = false) throws {
        guard let handle else { throw LDAPFailure(code: -1, message: "connection closed") }
        guard !password.isEmpty else { throw LDAPFailure(code: 49, message: "empty password") }
        isServiceBound = false
        boundDN = nil
        var utf8 = password.utf8.map { CChar(bitPattern: $0) }
        let code = utf8.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var credential = berval(bv_len: ber_len_t(buffer.count), bv_val: buffer.baseAddress)
            // nil mechanism: LDAP_SASL_SIMPLE, which Swift does not import.
            return ldap_sasl_bind_s(handle, dn, nil, &credential, nil, nil, nil)
        }
        for index in utf8.indices { utf8[index] = 0 }
        guard code == LDAP_SUCCESS else { throw failure(code) }
        boundDN = dn
        isServiceBound = asService
    }

    /// Drops the current identity: an anonymous bind, used only to reset a connection.
    func bindAnonymously() throws {
        guard let handle else { throw LDAPFailure(code: -1, message: "connection closed") }
        isServiceBound = false
        boundDN = nil
        var empty = berval(bv_len: 0, bv_val: nil)
        let code = ldap_sasl_bind_s(handle, "", nil, &empty, nil, nil, nil)
        guard code == LDAP_SUCCESS else { throw failure(code) }
    }

    /// A search with the operation timeout and a size limit.
    ///
    /// - Parameter scope: 0 base, 1 one level, 2 subtree.
    func search(
        base: String, scope: Int32, filter: String, attributes: [String], sizeLimit: Int32, timeoutMilliseconds: Int
    ) throws -> (entries: [LDAPEntry], isTruncated: Bool) {
        guard let handle else { throw LDAPFailure(code: -1, message: "connection closed") }
        var result: OpaquePointer?
        defer { if let result { ldap_msgfree(result) } }
        var timeout = echo_ldap_timeval(Int32(timeoutMilliseconds))
        let names = attributes.isEmpty ? ["1.1"] : attributes
        let code = withCStringArray(names) { attrs in
            ldap_search_ext_s(handle, base, scope, filter, attrs, 0, nil, nil, &timeout, sizeLimit, &result)
        }
        // A size limit hit still returns the entries read so far; callers check the count.
        guard code == LDAP_SUCCESS || code == LDAP_SIZELIMIT_EXCEEDED else { throw failure(code) }
        var entries: [LDAPEntry] = []
        var entry = ldap_first_entry(handle, result)
        while let current = entry {
            var dn = ""
            if let raw = ldap_get_dn(handle, current) {
                dn = String(cString: raw)
                ldap_memfree(raw)
            }
            var values: [String: [String]] = [:]
            for name in attributes {
                guard let list = ldap_get_values_len(handle, current, name) else { continue }
                var strings: [String] = []
                var index = 0
                while let value = list[index] {
                    let bytes = UnsafeRawBufferPointer(start: value.pointee.bv_val, count: Int(value.pointee.bv_len))
                    strings.append(String(decoding: bytes, as: UTF8.self))
                    index += 1
                }
                ldap_value_free_len(list)
                values[name.lowercased()] = strings
            }
            entries.append(LDAPEntry(dn: dn, attributes: values))
            entry = ldap_next_entry(handle, current)
        }
        if code == LDAP_SIZELIMIT_EXCEEDED, entries.isEmpty { throw failure(code) }
        return (entries, code == LDAP_SIZELIMIT_EXCEEDED)
    }

    func close() {
        if let handle {
            ldap_unbind_ext_s(handle, nil, nil)
            self.handle = nil
        }
        if let watch {
            echo_ldap_watch_free(watch)
            self.watch = nil
        }
    }

    /// The failure for `code`, with the server's diagnostic message when it sent one.
    private func failure(_ code: Int32) -> LDAPFailure {
        var text = String(cString: ldap_err2string(code))
        var diagnostic: UnsafeMutablePointer<CChar>?
        if let handle, ldap_get_option(handle, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic) == LDAP_OPT_SUCCESS, let diagnostic {
            let detail = String(cString: diagnostic)
            ldap_memfree(diagnostic)
            if !detail.isEmpty { text += ": " + detail }
        }
        return LDAPFailure(code: code, message: text)
    }
}


/// Calls `body` with a NULL-terminated C array of C strings.
private func withCStringArray<Result>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
