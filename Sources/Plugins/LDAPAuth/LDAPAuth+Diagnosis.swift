public import EchoPluginAPI

extension LDAPAuth: AuthDiagnosing {
    /// Where the user was found and what EchoChat would make of them, as data.
    public func diagnose(_ username: String) async throws -> LDAPDiagnosis {
        let (entries, server) = try await findUser(username)
        return LDAPDiagnosis(
            server: server.uri, mode: configuration.mode.rawValue,
            query: configuration.mode == .direct && queries.templateIsDN
                ? queries.userDN(for: username) ?? "(no DN for this name)" : queries.userFilter(for: username),
            users: entries.map { user in
                LDAPDiagnosis.Found(
                    dn: user.dn, username: user.username, displayName: user.displayName, email: user.email, groups: user.groups,
                    isAllowed: policy.isAllowed(user), identity: policy.identity(of: user))
            },
            requiredGroup: configuration.requiredGroup)
    }

    /// What `echochat auth test` (and `echochat ldap test`) shows: the server, the query, the
    /// entry with its attributes and groups, and what EchoChat would grant.
    public func diagnose(username: String) async throws -> AuthDiagnosis {
        try await diagnose(username).authDiagnosis
    }
}
