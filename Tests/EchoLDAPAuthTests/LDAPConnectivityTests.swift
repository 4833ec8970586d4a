import EchoPluginAPI
import EchoTestSupport
import Foundation
import Testing

@testable import EchoLDAPAuth

#if canImport(Glibc)
    import Glibc
#endif

@Suite("auth.ldap: TLS and failover")
struct LDAPConnectivityTests {
    @Test("StartTLS and ldaps against the test CA")
    func tls() async throws {
        let directory = try await LDAPTestDirectory.make()
        let server = directory.server
        try await withPlugin(directory.config(["uris": [server.ldapURI], "security": "starttls", "ca_file": server.caFile])) {
            (plugin: LDAPAuth) async throws in
            #expect(try await login(plugin, "alice", "alice-pw").identity?.username == "Alice")
        }
        // Without `security`, an ldaps:// URI means ldaps.
        var ldaps = directory.config(["uris": [server.ldapsURI], "ca_file": server.caFile])
        ldaps["security"] = nil
        try await withPlugin(ldaps) { (plugin: LDAPAuth) async throws in
            #expect(try await login(plugin, "alice", "alice-pw").identity?.username == "Alice")
            #expect(try await login(plugin, "alice", "nope").isInvalid)
        }
    }

    @Test("a server certificate from an unknown CA is refused", arguments: ["starttls", "ldaps"])
    func unknownCA(security: String) async throws {
        let directory = try await LDAPTestDirectory.make()
        let server = directory.server
        let uri = security == "ldaps" ? server.ldapsURI : server.ldapURI
        try await withPlugin(directory.config(["uris": [uri], "security": security, "ca_file": server.otherCAFile])) { (plugin: LDAPAuth) async throws in
            await #expect(throws: AuthError.self) { try await login(plugin, "alice", "alice-pw") }
            do {
                _ = try await login(plugin, "alice", "alice-pw")
            } catch let error as AuthError {
                #expect(error.isBackendUnavailable)
                #expect(error.message.contains("TLS with the server failed"), "\(error.message)")
                #expect(!error.message.contains(server.adminPassword) && !error.message.contains("alice-pw"))
            }
        }
        // The host name is checked too: the certificate names 127.0.0.1; reached as 127.0.0.2, it does not fit.
        let wrongName = security == "ldaps" ? server.ldapsURIAtOtherAddress : server.ldapURIAtOtherAddress
        try await withPlugin(directory.config(["uris": [wrongName], "security": security, "ca_file": server.caFile])) { (plugin: LDAPAuth) async throws in
            do {
                _ = try await login(plugin, "alice", "alice-pw")
                Issue.record("a certificate for another name was accepted")
            } catch let error as AuthError {
                #expect(error.isBackendUnavailable && error.message.contains("TLS with the server failed"), "\(error.message)")
            }
        }
        // verify_certificate false accepts it (for test set-ups only).
        try await withPlugin(directory.config(["uris": [wrongName], "security": security, "verify_certificate": false])) {
            (plugin: LDAPAuth) async throws in
            #expect(try await login(plugin, "alice", "alice-pw").identity != nil)
        }
    }

    @Test("a server that hangs in the TLS handshake costs one connect and operation timeout", arguments: ["starttls", "ldaps"])
    func hungHandshake(security: String) async throws {
        let directory = try await LDAPTestDirectory.make()
        let silent = try SilentListener()
        defer { silent.close() }
        let scheme = security == "ldaps" ? "ldaps" : "ldap"
        let config = directory.config([
            "uris": ["\(scheme)://127.0.0.1:\(silent.port)"], "security": security, "ca_file": directory.server.caFile,
            "connect_timeout_ms": 500, "operation_timeout_ms": 800,
        ])
        try await withPlugin(config) { (plugin: LDAPAuth) async throws in
            let clock = ContinuousClock()
            let start = clock.now
            do {
                _ = try await login(plugin, "alice", "alice-pw")
                Issue.record("a login succeeded against a silent server")
            } catch let error as AuthError {
                #expect(error.isBackendUnavailable)
            }
            #expect(await plugin.pool.blockingTime[0, default: .zero] < .milliseconds(500 + 800 + 500), "in libldap")
            #expect(clock.now - start < .seconds(15), "took \(clock.now - start)")
            #expect(await plugin.pool.connectionAttempts == [0: 1])
        }
    }

    @Test("failover: a refused and a silent first server, then the live one, within the timeouts")
    func failover() async throws {
        let directory = try await LDAPTestDirectory.make()
        let refused = "ldap://127.0.0.1:\(try freeLoopbackPort())"
        let silent = try SilentListener()
        defer { silent.close() }
        let config = directory.config([
            "uris": [refused, "ldap://127.0.0.1:\(silent.port)", directory.server.ldapURI],
            "connect_timeout_ms": 500, "operation_timeout_ms": 1000,
        ])
        try await withPlugin(config) { (plugin: LDAPAuth) async throws in
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await login(plugin, "alice", "alice-pw").identity != nil)
            let first = clock.now - start
            // The dead servers cost no more than their timeouts, measured where libldap runs (a
            // loaded CI machine stretches the wall clock around it); and the login never hangs.
            #expect(await plugin.pool.blockingTime[0, default: .zero] < .milliseconds(500 + 500), "refused server")
            #expect(await plugin.pool.blockingTime[1, default: .zero] < .milliseconds(500 + 1000 + 500), "silent server")
            #expect(first < .seconds(15), "first login took \(first)")
            // The dead servers are skipped now: the next logins ask only the live one.
            #expect(try await login(plugin, "bob", "bob-pw").identity != nil)
            #expect(try await login(plugin, "dave", "dave-pw").identity != nil)
            #expect(await plugin.pool.connectionAttempts == [0: 1, 1: 1, 2: 1])
        }
    }

    @Test("every server dead: unavailable within the timeouts, then at once while they stay down")
    func allDead() async throws {
        let directory = try await LDAPTestDirectory.make()
        let silent = try SilentListener()
        defer { silent.close() }
        let config = directory.config([
            "uris": ["ldap://127.0.0.1:\(try freeLoopbackPort())", "ldap://127.0.0.1:\(silent.port)"],
            "connect_timeout_ms": 500, "operation_timeout_ms": 1000, "server_retry_seconds": 30,
        ])
        try await withPlugin(config) { (plugin: LDAPAuth) async throws in
            let clock = ContinuousClock()
            let first = await clock.measure {
                do {
                    _ = try await login(plugin, "alice", "alice-pw")
                    Issue.record("a login succeeded with no server")
                } catch let error as AuthError {
                    #expect(error.isBackendUnavailable)
                    #expect(!error.message.contains(directory.server.adminPassword))
                } catch {
                    Issue.record("unexpected error \(error)")
                }
            }
            #expect(await plugin.pool.blockingTime[0, default: .zero] < .milliseconds(500 + 500), "refused server")
            #expect(await plugin.pool.blockingTime[1, default: .zero] < .milliseconds(500 + 1000 + 500), "silent server")
            #expect(first < .seconds(15), "took \(first)")
            await #expect(throws: AuthError.self) { try await login(plugin, "alice", "alice-pw") }
            // The circuit breaker answered the second login without trying either server again.
            #expect(await plugin.pool.connectionAttempts == [0: 1, 1: 1])
        }
    }

    @Test("a server that comes back is used again after server_retry_seconds")
    func recovery() async throws {
        let preferred = try SlapdServer.start()
        defer { preferred.pause() }
        let directory = try await LDAPTestDirectory.make(on: preferred)
        let backup = try await LDAPTestDirectory.make()
        // Both servers hold an Alice under the suffix; anonymous searches work on both.
        let config = directory.config([
            // Long enough that two lookups on a busy machine both fall inside it.
            "uris": [preferred.ldapURI, backup.server.ldapURI], "server_retry_seconds": 6, "base_dn": SlapdServer.suffix,
            "required_group": NSNull(), "bind_dn": NSNull(), "bind_password": NSNull(),
        ])
        try await withPlugin(config) { (plugin: LDAPAuth) async throws in
            #expect(try await plugin.diagnose("alice").server == preferred.ldapURI)
            preferred.pause()
            #expect(try await plugin.diagnose("alice").server == backup.server.ldapURI)
            // Skipped within server_retry_seconds: the next lookup does not try it at all.
            let attempts = await plugin.pool.connectionAttempts[0]
            #expect(try await plugin.diagnose("alice").server == backup.server.ldapURI)
            #expect(await plugin.pool.connectionAttempts[0] == attempts)
            try preferred.resume()
            try await Task.sleep(for: .milliseconds(6300))
            // Tried again after it, and preferred once more.
            #expect(try await plugin.diagnose("alice").server == preferred.ldapURI)
        }
    }

    @Test("a wrong service password or a missing base DN is a backend failure, named in the error, without secrets")
    func directoryMisconfigured() async throws {
        let directory = try await LDAPTestDirectory.make()
        for (override, expected) in [
            (["bind_password": "not-the-password"], "LDAP error 49"),
            (["base_dn": "ou=missing,\(directory.base)"], "LDAP error 32"),
        ] as [([String: Any], String)] {
            try await withPlugin(directory.config(override)) { (plugin: LDAPAuth) async throws in
                do {
                    _ = try await login(plugin, "alice", "alice-pw")
                    Issue.record("\(override): login succeeded")
                } catch let error as AuthError {
                    #expect(error.isBackendUnavailable, "\(override)")
                    #expect(error.message.contains(expected), "\(override): \(error.message)")
                    #expect(!error.message.contains("not-the-password") && !error.message.contains("alice-pw"))
                }
            }
        }
    }

    @Test("configuration mistakes name their key")
    func configurationErrors() async throws {
        let directory = try await LDAPTestDirectory.make()
        let cases: [([String: Any], String)] = [
            (["uris": []], "uris"),
            (["uris": ["http://x"]], "uris[0]"),
            (["uris": ["ldaps://x"]], "uris[0]"),
            (["security": "ldaps"], "uris[0]"),
            (["security": "tls"], "security"),
            (["mode": "direct", "user_dn_template": NSNull()], "user_dn_template"),
            (["base_dn": NSNull()], "base_dn"),
            (["user_filter": "objectClass=person"], "user_filter"),
            (["group_membership": "members"], "group_membership"),
            (["ca_file": "/nonexistent/ca.pem"], "ca_file"),
            (["operation_timeout_ms": 0], "operation_timeout_ms"),
            (["bind_password": NSNull()], "bind_dn"),
            (["room_roles": [["group": "cn=x", "room": "R", "role": "owner"]]], "role"),
        ]
        for (override, key) in cases {
            do {
                _ = try await makePlugin(directory.config(override))
                Issue.record("accepted \(override)")
            } catch let issue as ConfigIssue {
                #expect(issue.keyPath.last == key, "\(override): \(issue)")
                #expect(!issue.message.contains(directory.server.adminPassword))
            } catch let error as ConfigurationError {
                #expect(error.issues.contains { $0.keyPath.last == key }, "\(override): \(error)")
            }
        }
    }
}

@Suite("LDAP escaping")
struct LDAPEscapingTests {
    @Test("filter values (RFC 4515)", arguments: [
        ("alice", "alice"), ("*", "\\2a"), ("a(b)c", "a\\28b\\29c"), ("back\\slash", "back\\5cslash"), ("nul\u{0}", "nul\\00"),
        ("admin)(|(uid=*", "admin\\29\\28|\\28uid=\\2a"), ("ä", "\\c3\\a4"), ("tab\t", "tab\\09"),
    ])
    func filter(input: String, expected: String) {
        #expect(LDAPEscaping.filterValue(input) == expected)
    }

    @Test("DN values (RFC 4514)", arguments: [
        ("alice", "alice"), ("a,b", "a\\,b"), ("a+b", "a\\+b"), ("a=b", "a\\=b"), ("#a", "\\#a"), ("a#", "a#"), (" a ", "\\ a\\ "),
        ("a\"b;c<d>e\\", "a\\\"b\\;c\\<d\\>e\\\\"), ("nul\u{0}", "nul\\00"), ("ä", "ä"),
    ])
    func dn(input: String, expected: String) {
        #expect(LDAPEscaping.dnValue(input) == expected)
    }

    @Test("group filters per membership style, including AD's matching rule in chain")
    func membershipFilters() throws {
        let dn = "CN=A*B,OU=x"
        let cases: [(LDAPAuth.Configuration.Membership, LDAPAuth.Configuration.Nesting, String?)] = [
            (.member, .off, "(member=CN=A\\2aB,OU=x)"),
            (.member, .recursive, "(member=CN=A\\2aB,OU=x)"),
            (.uniqueMember, .off, "(uniqueMember=CN=A\\2aB,OU=x)"),
            (.memberUid, .off, "(memberUid=a\\28b)"),
            (.memberOf, .off, nil),
            (.memberOf, .recursive, nil),
            (.member, .inChain, "(member:1.2.840.113556.1.4.1941:=CN=A\\2aB,OU=x)"),
            (.memberOf, .inChain, "(member:1.2.840.113556.1.4.1941:=CN=A\\2aB,OU=x)"),
            (.uniqueMember, .inChain, "(uniqueMember:1.2.840.113556.1.4.1941:=CN=A\\2aB,OU=x)"),
        ]
        for (membership, nesting, expected) in cases {
            var configuration = LDAPAuth.Configuration()
            configuration.groupMembership = membership
            configuration.nestedGroups = nesting
            let queries = DirectoryQueries(configuration: configuration, service: nil)
            #expect(queries.membershipFilter(userDN: dn, username: "a(b") == expected, "\(membership) \(nesting)")
        }
    }

    @Test("direct-mode bind names: DN templates escape the value; other templates (Active Directory's user@domain) take plain names only")
    func directBindNames() {
        var configuration = LDAPAuth.Configuration()
        configuration.mode = .direct
        configuration.userDNTemplate = "uid={username},ou=people,dc=example,dc=org"
        var queries = DirectoryQueries(configuration: configuration, service: nil)
        #expect(queries.templateIsDN)
        #expect(queries.userDN(for: "a,b=c") == "uid=a\\,b\\=c,ou=people,dc=example,dc=org")
        configuration.userDNTemplate = "{username}@corp.example.com"
        queries = DirectoryQueries(configuration: configuration, service: nil)
        #expect(!queries.templateIsDN)
        #expect(queries.userDN(for: "alice.smith") == "alice.smith@corp.example.com")
        for unsafe in ["admin@other.example", "a b", "a,b", "a\\b", "", "ä", "x\u{0}"] {
            #expect(queries.userDN(for: unsafe) == nil, "\(unsafe.debugDescription)")
        }
        // After such a bind, the entry is the one holding exactly that userPrincipalName.
        configuration.userFilter = "(objectClass=user)"
        queries = DirectoryQueries(configuration: configuration, service: nil)
        #expect(queries.principalNameFilter("alice.smith@corp.example.com") == "(&(objectClass=user)(userPrincipalName=alice.smith@corp.example.com))")
        #expect(queries.principalNameFilter("a*@x") == "(&(objectClass=user)(userPrincipalName=a\\2a@x))")
    }
}
