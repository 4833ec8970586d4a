public import EchoPluginAPI
import Foundation

extension LDAPAuth {
    /// The `auth.ldap` settings in `plugins.json`; see the README for OpenLDAP and Active Directory examples.
    public struct Configuration: PluginConfiguration {
        public enum Security: String, Sendable { case none, starttls, ldaps }
        public enum Mode: String, Sendable { case search, direct }
        public enum Membership: String, Sendable { case member, uniqueMember, memberUid, memberOf }
        /// How nested groups are found: not at all, by following groups' own memberships a few
        /// levels deep, or in one query with Active Directory's matching rule in chain.
        public enum Nesting: String, Sendable { case off, recursive, inChain = "in_chain" }

        /// A directory group that makes its members members of a room.
        public struct RoomRoleMapping: Sendable, Equatable {
            public var group: String
            public var room: String
            public var role: RoomRole
        }

        public var uris: [String] = []
        public var security: Security = .starttls
        public var caFile: String?
        /// Whether the server certificate must chain to a trusted authority and name the host (on by default).
        public var verifyCertificate = true
        public var mode: Mode = .search
        public var bindDN: String?
        public var bindPassword: String?
        public var bindPasswordFile: String?
        public var baseDN: String?
        public var userFilter = "(objectClass=*)"
        public var userDNTemplate: String?
        public var usernameAttribute = "uid"
        public var displayNameAttribute = "cn"
        public var emailAttribute: String? = "mail"
        public var groupBaseDN: String?
        public var groupMembership: Membership = .member
        public var nestedGroups: Nesting = .off
        public var requiredGroup: String?
        public var adminGroups: [String] = []
        public var roomRoles: [RoomRoleMapping] = []
        public var connectTimeoutMilliseconds = 2000
        public var operationTimeoutMilliseconds = 5000
        /// Seconds between directory syncs; 0 turns the sync off.
        public var syncIntervalSeconds = 900
        public var allowDeactivateAll = false
        /// Connections kept per plugin (and threads that may block on them).
        public var poolSize = 4
        /// How long a server that failed to answer is skipped before it is tried again.
        public var serverRetrySeconds = 10

        enum CodingKeys: String, CodingKey {
            case uris, security, mode, attributes
            case caFile = "ca_file"
            case verifyCertificate = "verify_certificate"
            case bindDN = "bind_dn"
            case bindPassword = "bind_password"
            case bindPasswordFile = "bind_password_file"
            case baseDN = "base_dn"
            case userFilter = "user_filter"
            case userDNTemplate = "user_dn_template"
            case groupBaseDN = "group_base_dn"
            case groupMembership = "group_membership"
            case nestedGroups = "nested_groups"
            case requiredGroup = "required_group"
            case adminGroups = "admin_groups"
            case roomRoles = "room_roles"
            case connectTimeoutMilliseconds = "connect_timeout_ms"
            case operationTimeoutMilliseconds = "operation_timeout_ms"
            case syncIntervalSeconds = "sync_interval_seconds"
            case allowDeactivateAll = "allow_deactivate_all"
            case poolSize = "pool_size"
            case serverRetrySeconds = "server_retry_seconds"
        }

        enum AttributeKeys: String, CodingKey {
            case username
            case displayName = "display_name"
            case email
        }

        enum RoomRoleKeys: String, CodingKey { case group, room, role }

        public init() {}

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            uris = try container.decodeIfPresent([String].self, forKey: .uris) ?? []
            // Without a choice, TLS: ldaps for ldaps:// URIs, StartTLS otherwise.
            let secureDefault: Security = uris.allSatisfy { $0.lowercased().hasPrefix("ldaps://") } && !uris.isEmpty ? .ldaps : .starttls
            security = try Self.decodeEnum(container, .security, default: secureDefault, choices: "\"none\", \"starttls\" or \"ldaps\"")
            caFile = try container.decodeIfPresent(String.self, forKey: .caFile)
            verifyCertificate = try container.decodeIfPresent(Bool.self, forKey: .verifyCertificate) ?? true
            mode = try Self.decodeEnum(container, .mode, default: .search, choices: "\"search\" or \"direct\"")
            bindDN = try container.decodeIfPresent(String.self, forKey: .bindDN)
            bindPassword = try container.decodeIfPresent(String.self, forKey: .bindPassword)
            bindPasswordFile = try container.decodeIfPresent(String.self, forKey: .bindPasswordFile)
            baseDN = try container.decodeIfPresent(String.self, forKey: .baseDN)
            userFilter = try container.decodeIfPresent(String.self, forKey: .userFilter) ?? "(objectClass=*)"
            userDNTemplate = try container.decodeIfPresent(String.self, forKey: .userDNTemplate)
            if container.contains(.attributes) {
                let attributes = try container.nestedContainer(keyedBy: AttributeKeys.self, forKey: .attributes)
                usernameAttribute = try attributes.decodeIfPresent(String.self, forKey: .username) ?? "uid"
                displayNameAttribute = try attributes.decodeIfPresent(String.self, forKey: .displayName) ?? "cn"
                emailAttribute = try attributes.decodeIfPresent(String.self, forKey: .email) ?? "mail"
            }
            groupBaseDN = try container.decodeIfPresent(String.self, forKey: .groupBaseDN)
            groupMembership = try Self.decodeEnum(
                container, .groupMembership, default: .member, choices: "\"member\", \"uniqueMember\", \"memberUid\" or \"memberOf\"")
            if let flag = try? container.decodeIfPresent(Bool.self, forKey: .nestedGroups) {
                nestedGroups = flag ? .recursive : .off
            } else {
                nestedGroups = try Self.decodeEnum(
                    container, .nestedGroups, default: .off, choices: "false, true, \"recursive\" or \"in_chain\"")
            }
            requiredGroup = try container.decodeIfPresent(String.self, forKey: .requiredGroup)
            adminGroups = try container.decodeIfPresent([String].self, forKey: .adminGroups) ?? []
            if container.contains(.roomRoles) {
                var list = try container.nestedUnkeyedContainer(forKey: .roomRoles)
                while !list.isAtEnd {
                    let index = list.currentIndex
                    let item = try list.nestedContainer(keyedBy: RoomRoleKeys.self)
                    let roleName = try item.decodeIfPresent(String.self, forKey: .role) ?? "member"
                    guard let role = RoomRole(rawValue: roleName), role != .owner else {
                        throw ConfigIssue(keyPath: ["room_roles", "[\(index)]", "role"], message: "must be \"member\", \"moderator\" or \"admin\"")
                    }
                    roomRoles.append(
                        RoomRoleMapping(
                            group: try item.decode(String.self, forKey: .group), room: try item.decode(String.self, forKey: .room), role: role))
                }
            }
            connectTimeoutMilliseconds = try container.decodeIfPresent(Int.self, forKey: .connectTimeoutMilliseconds) ?? 2000
            operationTimeoutMilliseconds = try container.decodeIfPresent(Int.self, forKey: .operationTimeoutMilliseconds) ?? 5000
            syncIntervalSeconds = try container.decodeIfPresent(Int.self, forKey: .syncIntervalSeconds) ?? 900
            allowDeactivateAll = try container.decodeIfPresent(Bool.self, forKey: .allowDeactivateAll) ?? false
            poolSize = try container.decodeIfPresent(Int.self, forKey: .poolSize) ?? 4
            serverRetrySeconds = try container.decodeIfPresent(Int.self, forKey: .serverRetrySeconds) ?? 10
        }

        private static func decodeEnum<Value: RawRepresentable<String>>(
            _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, default value: Value, choices: String
        ) throws -> Value {
            guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return value }
            guard let parsed = Value(rawValue: text) else {
                throw ConfigIssue(key: key.rawValue, "must be \(choices), not \"\(text)\"")
            }
            return parsed
        }

        public func validate() throws {
            guard !uris.isEmpty else { throw ConfigIssue(key: "uris", "name at least one server, e.g. [\"ldap://dc1.example.org\"]") }
            for (index, uri) in uris.enumerated() {
                _ = try LDAPServer(uri: uri, index: index, security: security)
            }
            if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
                throw ConfigIssue(key: "ca_file", "cannot read \(caFile)")
            }
            switch mode {
            case .search:
                guard let baseDN, !baseDN.isEmpty else { throw ConfigIssue(key: "base_dn", "is required for mode \"search\"") }
            case .direct:
                guard let template = userDNTemplate, template.components(separatedBy: "{username}").count == 2 else {
                    throw ConfigIssue(key: "user_dn_template", "is required for mode \"direct\" and must contain {username} once")
                }
                if !template.contains("="), baseDN?.isEmpty != false {
                    throw ConfigIssue(key: "base_dn", "is required with a user_dn_template that is not a DN (\(template)): the entry is searched for there")
                }
            }
            guard userFilter.hasPrefix("("), userFilter.hasSuffix(")") else {
                throw ConfigIssue(key: "user_filter", "must be an LDAP filter in parentheses, e.g. (objectClass=inetOrgPerson)")
            }
            for (key, name) in [("username", usernameAttribute), ("display_name", displayNameAttribute), ("email", emailAttribute ?? "mail")]
            where !Self.isAttributeName(name) {
                throw ConfigIssue(keyPath: ["attributes", key], message: "\"\(name)\" is not an attribute name")
            }
            if bindDN != nil, bindPassword?.isEmpty != false, bindPasswordFile == nil,
                ProcessInfo.processInfo.environment["ECHOCHAT_LDAP_BIND_PASSWORD"]?.isEmpty != false
            {
                throw ConfigIssue(key: "bind_dn", "needs bind_password_file, bind_password or ECHOCHAT_LDAP_BIND_PASSWORD")
            }
            if groupMembership == .memberUid, nestedGroups != .off {
                throw ConfigIssue(key: "nested_groups", "posixGroup groups (memberUid) do not nest; leave nested_groups false")
            }
            if nestedGroups == .inChain, groupBaseDN == nil, baseDN == nil {
                throw ConfigIssue(key: "group_base_dn", "is required for nested_groups \"in_chain\"")
            }
            let usesGroups = requiredGroup != nil || !adminGroups.isEmpty || !roomRoles.isEmpty
            if usesGroups, groupMembership != .memberOf, groupBaseDN == nil, baseDN == nil {
                throw ConfigIssue(key: "group_base_dn", "is required to look up groups with \"\(groupMembership.rawValue)\"")
            }
            for (key, value) in [("connect_timeout_ms", connectTimeoutMilliseconds), ("operation_timeout_ms", operationTimeoutMilliseconds)]
            where !(50...120_000).contains(value) {
                throw ConfigIssue(key: key, "must be between 50 and 120000")
            }
            guard syncIntervalSeconds == 0 || (1...604_800).contains(syncIntervalSeconds) else {
                throw ConfigIssue(key: "sync_interval_seconds", "must be 0 (off) or between 1 and 604800")
            }
            guard (1...64).contains(poolSize) else { throw ConfigIssue(key: "pool_size", "must be between 1 and 64") }
            guard (0...3600).contains(serverRetrySeconds) else { throw ConfigIssue(key: "server_retry_seconds", "must be between 0 and 3600") }
            for (index, mapping) in roomRoles.enumerated() where mapping.room.isEmpty || mapping.group.isEmpty {
                throw ConfigIssue(keyPath: ["room_roles", "[\(index)]"], message: "needs a group and a room")
            }
        }

        /// An attribute description: letters, digits and hyphens starting with a letter, or an OID.
        static func isAttributeName(_ name: String) -> Bool {
            guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 128 else { return false }
            let isLetter = { (c: Unicode.Scalar) in ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
            let isDigit = { (c: Unicode.Scalar) in ("0"..."9").contains(c) }
            if isDigit(first) { return name.unicodeScalars.allSatisfy { isDigit($0) || $0 == "." } }
            return isLetter(first) && name.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || $0 == "-" }
        }

        /// The service account's password: the environment, then the file, then the config value.
        func resolvedBindPassword(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
            if let value = environment["ECHOCHAT_LDAP_BIND_PASSWORD"], !value.isEmpty { return value }
            if let file = bindPasswordFile {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw ConfigIssue(key: "bind_password_file", "cannot read \(file)")
                }
                return text.trimmingCharacters(in: .newlines)
            }
            return bindPassword
        }
    }
}
