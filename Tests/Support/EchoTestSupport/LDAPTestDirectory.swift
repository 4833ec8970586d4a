import Foundation

/// A small company directory in its own subtree of the shared test `slapd`:
///
/// - people: `Alice` (spelled with a capital A), `bob`, `carol` (not in chat-users), `dave`
///   (chat-admins), `admin` (chat-admins and support, so that no group is ever left empty), and `frank` (in chat-users only through the nested `contractors` group);
/// - groups: `chat-users` (groupOfNames, also holding the `contractors` group), `chat-admins`,
///   `support`, `contractors`, `chat-users-unique` (groupOfUniqueNames) and `chat-users-posix`
///   (posixGroup with memberUid).
///
/// Every person's password is `<lowercased uid>-pw`.
public struct LDAPTestDirectory: Sendable {
    public let server: SlapdServer
    /// `ou=t…,dc=example,dc=org`
    public let base: String

    public var people: String { "ou=people,\(base)" }
    public var groups: String { "ou=groups,\(base)" }
    public func dn(_ uid: String) -> String { "uid=\(uid),\(people)" }
    public func group(_ cn: String) -> String { "cn=\(cn),\(groups)" }
    public static func password(_ uid: String) -> String { uid.lowercased() + "-pw" }

    public static let people: [(uid: String, cn: String, mail: String?)] = [
        ("Alice", "Alice Liddell", "alice@example.org"),
        ("bob", "Bob Builder", "bob@example.org"),
        ("carol", "Carol Outsider", nil),
        ("dave", "Dave Admin", "dave@example.org"),
        ("admin", "Directory Admin Person", nil),
        ("frank", "Frank Contractor", nil),
    ]

    /// Builds the directory in a new subtree of the shared server.
    public static func make(on own: SlapdServer? = nil) async throws -> LDAPTestDirectory {
        var server = own
        if server == nil { server = try await SlapdServer.shared() }
        guard let server else { throw TestServiceError("no slapd") }
        let directory = LDAPTestDirectory(server: server, base: try server.makeSubtree())
        try directory.populate()
        return directory
    }

    private func populate() throws {
        var ldif = """
            dn: \(people)
            objectClass: organizationalUnit
            ou: people

            dn: \(groups)
            objectClass: organizationalUnit
            ou: groups


            """
        for (uid, cn, mail) in Self.people {
            ldif += personLDIF(uid: uid, cn: cn, mail: mail) + "\n"
        }
        ldif += """
            dn: \(group("contractors"))
            objectClass: groupOfNames
            cn: contractors
            member: \(dn("frank"))

            dn: \(group("chat-users"))
            objectClass: groupOfNames
            cn: chat-users
            member: \(dn("Alice"))
            member: \(dn("bob"))
            member: \(dn("dave"))
            member: \(dn("admin"))
            member: \(group("contractors"))

            dn: \(group("chat-admins"))
            objectClass: groupOfNames
            cn: chat-admins
            member: \(dn("dave"))
            member: \(dn("admin"))

            dn: \(group("support"))
            objectClass: groupOfNames
            cn: support
            member: \(dn("bob"))
            member: \(dn("admin"))

            dn: \(group("chat-users-unique"))
            objectClass: groupOfUniqueNames
            cn: chat-users-unique
            uniqueMember: \(dn("Alice"))
            uniqueMember: \(dn("bob"))

            dn: \(group("chat-users-posix"))
            objectClass: posixGroup
            cn: chat-users-posix
            gidNumber: 5000
            memberUid: Alice
            memberUid: bob

            """
        try server.add(ldif)
    }

    public func personLDIF(uid: String, cn: String, mail: String? = nil, password: String? = nil) -> String {
        var text = """
            dn: \(dn(uid))
            objectClass: inetOrgPerson
            uid: \(uid)
            cn: \(cn)
            sn: \(cn.split(separator: " ").last.map(String.init) ?? cn)
            userPassword: \(password ?? Self.password(uid))

            """
        if let mail { text = text.replacingOccurrences(of: "userPassword:", with: "mail: \(mail)\nuserPassword:") }
        return text
    }

    /// Adds a person.
    public func addPerson(uid: String, cn: String, mail: String? = nil, password: String? = nil) throws {
        try server.add(personLDIF(uid: uid, cn: cn, mail: mail, password: password))
    }

    /// Replaces one attribute of an entry.
    public func replace(_ attribute: String, of dn: String, with value: String) throws {
        try server.modify("dn: \(dn)\nchangetype: modify\nreplace: \(attribute)\n\(attribute): \(value)\n")
    }

    /// Removes a member from a groupOfNames.
    public func removeMember(_ member: String, from group: String) throws {
        try server.modify("dn: \(group)\nchangetype: modify\ndelete: member\nmember: \(member)\n")
    }

    /// Adds a member to a groupOfNames.
    public func addMember(_ member: String, to group: String) throws {
        try server.modify("dn: \(group)\nchangetype: modify\nadd: member\nmember: \(member)\n")
    }

    /// Deletes a person (and takes them out of chat-users and support first, as an administrator would).
    public func deletePerson(_ uid: String) throws {
        try server.delete(dn(uid))
    }

    /// Empties `ou=people` at once: the whole subtree is renamed away in one operation (so a
    /// sync never sees half of it), then an empty `ou=people` takes its place.
    public func deleteEveryone() throws {
        try server.rename(people, to: "ou=former-\(UUID().uuidString.prefix(8).lowercased())")
        try server.add("dn: \(people)\nobjectClass: organizationalUnit\nou: people\n")
    }

    /// A plugin config object for `auth.ldap` against this directory (search mode, plain LDAP),
    /// with `overrides` merged over it.
    public func config(_ overrides: [String: Any] = [:]) -> [String: Any] {
        var config: [String: Any] = [
            "uris": [server.ldapURI],
            "security": "none",
            "mode": "search",
            "bind_dn": SlapdServer.adminDN,
            "bind_password": server.adminPassword,
            "base_dn": people,
            "user_filter": "(objectClass=inetOrgPerson)",
            "group_base_dn": groups,
            "group_membership": "member",
            "required_group": group("chat-users"),
            "connect_timeout_ms": 1000,
            "operation_timeout_ms": 2000,
            "sync_interval_seconds": 0,
        ]
        config.merge(overrides) { $1 }
        return config
    }
}
