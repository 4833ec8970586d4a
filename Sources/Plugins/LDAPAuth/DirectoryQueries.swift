import EchoPluginAPI
import Foundation

/// A user as the directory describes them.
struct DirectoryUser: Sendable, Equatable {
    let dn: String
    /// The username attribute's value, as the directory spells it.
    let username: String
    let displayName: String?
    let email: String?
    /// The DNs of the groups the user is in (directly, or nested when configured), as the directory spells them.
    let groups: [String]
}

/// What a bind with the user's password said.
enum PasswordCheck: Sendable, Equatable {
    case accepted(DirectoryUser)
    case rejected
    case unknownUser
    /// The search found more than one entry: refused, since it is not clear who this is.
    case ambiguous(Int)
}

/// The searches and binds behind a login, run synchronously on one pooled connection.
///
/// Every value a user typed goes into a filter through ``LDAPEscaping/filterValue(_:)`` and into
/// a DN through ``LDAPEscaping/dnValue(_:)``.
struct DirectoryQueries: Sendable {
    let configuration: LDAPAuth.Configuration
    /// The service account, or `nil` to search anonymously.
    let service: (dn: String, password: String)?

    static let maxNestingDepth = 5
    static let maxGroups = 1000
    /// Active Directory's LDAP_MATCHING_RULE_IN_CHAIN.
    static let inChainRule = "1.2.840.113556.1.4.1941"

    private var timeout: Int { configuration.operationTimeoutMilliseconds }
    private var groupBase: String { configuration.groupBaseDN ?? configuration.baseDN ?? "" }

    /// Binds as the service account (or anonymously) unless the connection already is.
    func prepare(_ connection: LDAPConnection) throws {
        if let service {
            if !connection.isServiceBound { try connection.bind(dn: service.dn, password: service.password, asService: true) }
        } else if connection.boundDN != nil {
            try connection.bindAnonymously()
        }
    }

    /// The filter finding `username` within `user_filter`.
    func userFilter(for username: String) -> String {
        "(&\(configuration.userFilter)(\(configuration.usernameAttribute)=\(LDAPEscaping.filterValue(username))))"
    }

    /// The filter finding the entry that holds the bind name `principal` as its userPrincipalName.
    func principalNameFilter(_ principal: String) -> String {
        "(&\(configuration.userFilter)(userPrincipalName=\(LDAPEscaping.filterValue(principal))))"
    }

    /// Whether `user_dn_template` makes DNs (`uid={username},ou=people,…`) rather than another bind
    /// name Active Directory accepts (`{username}@corp.example.com`), after which the entry is
    /// searched for under `base_dn`.
    var templateIsDN: Bool { (configuration.userDNTemplate ?? "").contains("=") }

    /// The name to bind as in direct mode: the template with the value escaped for a DN, or `nil`
    /// for a name that cannot go into a non-DN template safely (only letters, digits, `.`, `_`
    /// and `-` may, so that nothing can change which domain the name points into).
    func userDN(for username: String) -> String? {
        let template = configuration.userDNTemplate ?? ""
        if templateIsDN { return template.replacingOccurrences(of: "{username}", with: LDAPEscaping.dnValue(username)) }
        let safe = !username.isEmpty && username.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
        }
        return safe ? template.replacingOccurrences(of: "{username}", with: username) : nil
    }

    private var userAttributes: [String] {
        var names = [configuration.usernameAttribute, configuration.displayNameAttribute]
        if let email = configuration.emailAttribute { names.append(email) }
        if configuration.groupMembership == .memberOf { names.append("memberOf") }
        return names
    }

    /// Finds the user's entry without their password: by search, or by reading the DN the
    /// template gives. More than one entry means the name is ambiguous, whatever they spell:
    /// the count is taken before the spelling check.
    func findEntry(_ username: String, on connection: LDAPConnection) throws -> [LDAPEntry] {
        try prepare(connection)
        let entries = try lookUpEntries(username, on: connection)
        guard entries.count == 1 else { return entries }
        return entries.filter { spells($0, username) }
    }

    /// Whether the entry's username attribute holds exactly `username`, ignoring case. Matching
    /// rules are looser (they ignore surrounding spaces, for one); a login name must not be.
    func spells(_ entry: LDAPEntry, _ username: String) -> Bool {
        let wanted = username.lowercased()
        return entry.values(configuration.usernameAttribute).contains { $0.lowercased() == wanted }
    }

    /// The entries the directory holds for `username`, at most two (two already being too many).
    func lookUpEntries(_ username: String, on connection: LDAPConnection) throws -> [LDAPEntry] {
        guard configuration.mode == .direct, templateIsDN else {
            return try connection.search(
                base: configuration.baseDN ?? "", scope: 2, filter: userFilter(for: username), attributes: userAttributes, sizeLimit: 2,
                timeoutMilliseconds: timeout
            ).entries
        }
        do {
            guard let dn = userDN(for: username) else { return [] }
            return try connection.search(
                base: dn, scope: 0, filter: configuration.userFilter, attributes: userAttributes, sizeLimit: 2, timeoutMilliseconds: timeout
            ).entries
        } catch let failure as LDAPFailure where failure.isNoSuchObject || failure.code == 34 {
            // 34: the template made an invalid DN out of this username.
            return []
        }
    }

    /// Checks a password: finds the user, reads their groups, then binds as them.
    func checkPassword(_ username: String, _ password: String, on connection: LDAPConnection) throws -> PasswordCheck {
        guard !password.isEmpty else { return .rejected }
        switch configuration.mode {
        case .search:
            let entries = try findEntry(username, on: connection)
            guard entries.count == 1, let entry = entries.first else {
                return entries.isEmpty ? .unknownUser : .ambiguous(entries.count)
            }
            let user = try describe(entry, asked: username, on: connection)
            do {
                try connection.bind(dn: entry.dn, password: password)
            } catch let failure as LDAPFailure where failure.isInvalidCredentials {
                return .rejected
            }
            return .accepted(user)
        case .direct:
            guard let dn = userDN(for: username) else { return .unknownUser }
            do {
                try connection.bind(dn: dn, password: password)
            } catch let failure as LDAPFailure where failure.isInvalidCredentials || failure.code == 34 {
                // A wrong password and an unknown DN look alike to a bind. Only a read that shows
                // the entry is missing makes this an unknown user; a read the directory refuses
                // (no anonymous reads) leaves it a wrong password, never a backend failure, so
                // that guesses keep counting against the login limits.
                guard let entries = try? findEntry(username, on: connection) else { return .rejected }
                return entries.isEmpty ? .unknownUser : .rejected
            }
            // Read the entry as the service account when there is one (it sees the groups), else as the user.
            if service != nil { try prepare(connection) }
            let entries: [LDAPEntry]
            if templateIsDN {
                entries = try lookUpEntries(username, on: connection)
            } else {
                // The bind name is a userPrincipalName: the entry must be the one holding exactly
                // that name, not merely one whose username attribute matches (another account
                // may carry this UPN), or the login is refused.
                entries = try connection.search(
                    base: configuration.baseDN ?? "", scope: 2, filter: principalNameFilter(dn), attributes: userAttributes, sizeLimit: 2,
                    timeoutMilliseconds: timeout
                ).entries
            }
            guard entries.count == 1, let entry = entries.first, spells(entry, username) else { return .unknownUser }
            return .accepted(try describe(entry, asked: username, on: connection))
        }
    }

    /// The user described by `entry`, with their groups.
    func describe(_ entry: LDAPEntry, asked username: String, on connection: LDAPConnection) throws -> DirectoryUser {
        let names = entry.values(configuration.usernameAttribute)
        // With a multi-valued uid, the value the user typed, in the directory's spelling.
        let spelled = names.first { $0.lowercased() == username.lowercased() } ?? names.first ?? username
        return DirectoryUser(
            dn: entry.dn, username: spelled, displayName: entry.first(configuration.displayNameAttribute),
            email: configuration.emailAttribute.flatMap { entry.first($0) }, groups: try groups(of: entry, username: spelled, on: connection))
    }

    /// The filter that finds the user's groups in one search under `group_base_dn`, or `nil`
    /// when they are read from the user's own `memberOf` values instead.
    func membershipFilter(userDN: String, username: String) -> String? {
        let dn = LDAPEscaping.filterValue(userDN)
        switch (configuration.groupMembership, configuration.nestedGroups) {
        case (.memberOf, .inChain), (.member, .inChain):
            return "(member:\(Self.inChainRule):=\(dn))"
        case (.uniqueMember, .inChain):
            return "(uniqueMember:\(Self.inChainRule):=\(dn))"
        case (.memberUid, _):
            return "(memberUid=\(LDAPEscaping.filterValue(username)))"
        case (.member, _), (.uniqueMember, _):
            return "(\(configuration.groupMembership.rawValue)=\(dn))"
        case (.memberOf, _):
            return nil
        }
    }

    /// The groups of the user, in the configured membership style.
    func groups(of entry: LDAPEntry, username: String, on connection: LDAPConnection) throws -> [String] {
        let needsGroups = configuration.requiredGroup != nil || !configuration.adminGroups.isEmpty || !configuration.roomRoles.isEmpty
        guard needsGroups else { return [] }
        let recursive = configuration.nestedGroups == .recursive
        let budget = ContinuousClock.now + .milliseconds(2 * timeout)
        guard let filter = membershipFilter(userDN: entry.dn, username: username) else {
            let direct = entry.values("memberOf")
            guard recursive else { return direct }
            return try expand(direct, budget: budget) { dns in
                // Groups' own memberOf values name their parents.
                var parents: [String] = []
                for dn in dns {
                    try checkBudget(budget)
                    do {
                        parents += try connection.search(
                            base: dn, scope: 0, filter: "(objectClass=*)", attributes: ["memberOf"], sizeLimit: 1, timeoutMilliseconds: timeout
                        ).entries.first?.values("memberOf") ?? []
                    } catch let failure as LDAPFailure where failure.isNoSuchObject || failure.code == 50 {
                        continue  // a group since deleted, or one the service account may not read
                    }
                }
                return parents
            }
        }
        let direct = try searchGroups(filter, on: connection)
        let attribute = configuration.groupMembership.rawValue
        guard recursive, configuration.groupMembership == .member || configuration.groupMembership == .uniqueMember else { return direct }
        return try expand(direct, budget: budget) { dns in
            var parents: [String] = []
            // A few groups per query keeps filters short.
            for start in stride(from: 0, to: dns.count, by: 50) {
                try checkBudget(budget)
                let anyOf = dns[start..<min(start + 50, dns.count)].map { "(\(attribute)=\(LDAPEscaping.filterValue($0)))" }.joined()
                parents += try searchGroups("(|\(anyOf))", on: connection)
            }
            return parents
        }
    }

    /// The DNs of the groups `filter` finds. A truncated answer is an error: a missing group
    /// could silently take away a user's access or rights.
    private func searchGroups(_ filter: String, on connection: LDAPConnection) throws -> [String] {
        let result = try connection.search(
            base: groupBase, scope: 2, filter: filter, attributes: [], sizeLimit: Int32(Self.maxGroups), timeoutMilliseconds: timeout)
        guard !result.isTruncated else {
            throw LDAPFailure(code: 4, message: "a group search returned more groups than the server's size limit; narrow group_base_dn")
        }
        return result.entries.map(\.dn)
    }

    /// Follows groups' parents breadth-first, at most ``maxNestingDepth`` levels and
    /// ``maxGroups`` groups, so that a cycle or a huge tree cannot run away.
    /// Throws once following nested groups has used up its time.
    private func checkBudget(_ budget: ContinuousClock.Instant) throws {
        guard ContinuousClock.now < budget else {
            // timeLimitExceeded: the directory answers, so this is not a reason to fail over.
            throw LDAPFailure(code: 3, message: "following nested groups took longer than twice operation_timeout_ms")
        }
    }

    private func expand(_ direct: [String], budget: ContinuousClock.Instant, parents: ([String]) throws -> [String]) throws -> [String] {
        var seen = Set(direct.map(LDAPEscaping.normalizedDN))
        var all = direct
        var frontier = direct
        for _ in 0..<Self.maxNestingDepth where !frontier.isEmpty && all.count < Self.maxGroups {
            try checkBudget(budget)
            var next: [String] = []
            for dn in try parents(frontier) where seen.insert(LDAPEscaping.normalizedDN(dn)).inserted {
                next.append(dn)
            }
            all += next
            frontier = next
        }
        return Array(all.prefix(Self.maxGroups))
    }
}
