import EchoPluginAPI

/// What group memberships mean in EchoChat: a pure function of the configuration and the groups.
struct LDAPPolicy: Sendable {
    let requiredGroup: String?
    let adminGroups: Set<String>
    let roomRoles: [(group: String, grant: RoomGrant)]
    let managedRooms: Set<String>

    init(configuration: LDAPAuth.Configuration) {
        requiredGroup = configuration.requiredGroup.map(LDAPEscaping.normalizedDN)
        adminGroups = Set(configuration.adminGroups.map(LDAPEscaping.normalizedDN))
        roomRoles = configuration.roomRoles.map { (LDAPEscaping.normalizedDN($0.group), RoomGrant(room: $0.room, role: $0.role)) }
        managedRooms = Set(configuration.roomRoles.map(\.room))
    }

    /// Whether `required_group` (if set) has the user.
    func isAllowed(_ user: DirectoryUser) -> Bool {
        guard let requiredGroup else { return true }
        return user.groups.contains { LDAPEscaping.normalizedDN($0) == requiredGroup }
    }

    /// The identity a login hands the host. `isAdmin` is decided only when `admin_groups` is set,
    /// so that without it administrators promoted by an operator stay administrators.
    func identity(of user: DirectoryUser) -> AuthenticatedIdentity {
        let groups = Set(user.groups.map(LDAPEscaping.normalizedDN))
        return AuthenticatedIdentity(
            username: user.username, displayName: user.displayName, email: user.email, groups: user.groups,
            isAdmin: adminGroups.isEmpty ? nil : !adminGroups.isDisjoint(with: groups),
            roomGrants: roomRoles.filter { groups.contains($0.group) }.map(\.grant), managedRooms: managedRooms)
    }
}
