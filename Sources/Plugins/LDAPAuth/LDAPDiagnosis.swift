public import EchoPluginAPI

/// The result of ``LDAPAuth/diagnose(_:)``.
public struct LDAPDiagnosis: Sendable {
    /// One entry the lookup found.
    public struct Found: Sendable {
        public let dn: String
        public let username: String
        public let displayName: String?
        public let email: String?
        public let groups: [String]
        /// Whether `required_group` lets them in.
        public let isAllowed: Bool
        /// What a login would hand EchoChat.
        public let identity: AuthenticatedIdentity
    }

    /// The server that answered.
    public let server: String
    public let mode: String
    /// The filter (search mode) or DN (direct mode) used.
    public let query: String
    public let users: [Found]
    public let requiredGroup: String?

    /// The report as lines: the server and query, then the one entry found (or why there is not
    /// exactly one), its attributes, groups and what they grant.
    public var authDiagnosis: AuthDiagnosis {
        var lines: [DiagnosisLine] = [.field("server", "\(server) (mode \(mode))"), .field(query.hasPrefix("(") ? "filter" : "dn", query)]
        guard users.count == 1, let found = users.first else {
            if users.isEmpty {
                lines.append(.field("result", "no entry found; this user cannot sign in through LDAP"))
            } else {
                lines.append(.field("result", "\(users.count) entries found; logins are refused until user_filter finds exactly one"))
                lines += users.map { .item($0.dn) }
            }
            return AuthDiagnosis(lines: lines, canSignIn: false, backendName: "LDAP")
        }
        lines += [
            .field("entry", found.dn), .username(found.username), .field("display name", found.displayName ?? "(none; the username is used)"),
            .field("email", found.email ?? "(none)"), .field("groups", found.groups.first ?? "(none)"),
        ]
        lines += found.groups.dropFirst().map { .continuation($0) }
        if let requiredGroup {
            lines.append(.field("required group \(requiredGroup)", found.isAllowed ? "member" : "NOT a member"))
        }
        let admin: String
        switch found.identity.isAdmin {
        case true?: admin = "yes (admin_groups)"
        case false?: admin = "no"
        case nil: admin = "unchanged (no admin_groups set)"
        }
        lines.append(.field("server admin", admin))
        let grants = found.identity.roomGrants.map { "\($0.room): \($0.role.rawValue)" }
        lines.append(.field("room roles", grants.isEmpty ? "(none)" : grants.joined(separator: ", ")))
        return AuthDiagnosis(lines: lines, canSignIn: found.isAllowed, backendName: "LDAP")
    }
}
