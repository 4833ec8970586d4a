/// A storage that keeps an index of the look-alike keys of account names, so that the host can
/// refuse a display name that looks like another account's name without reading every account.
///
/// The host computes the keys (confusable skeletons after Unicode UTS #39, one or more per name
/// of an account) and hands them over as opaque strings; the storage keeps them per user,
/// indexed, with the `version` of the recipe that made them. When the host's recipe or its
/// Unicode data changes, it asks for the users whose keys another version made and indexes them
/// again.
///
/// ```swift
/// extension MyStorage: NameSkeletonLookup {
///     public func userIDs(withNameSkeletons skeletons: Set<String>) async throws -> Set<UserID> {
///         try await query("SELECT DISTINCT user_id FROM user_name_skeletons WHERE skeleton = ANY($1)", Array(skeletons))
///     }
///     public func setNameSkeletons(_ skeletons: [UserID: Set<String>], version: String) async throws {
///         try await transaction { … delete each user's rows, insert the new ones, store `version` on the user … }
///     }
///     public func users(withoutNameSkeletonVersion version: String, after: UserID?, limit: Int) async throws -> [User] {
///         try await query("SELECT * FROM users WHERE name_skeleton_version IS DISTINCT FROM $1 AND id > $2 ORDER BY id LIMIT $3", …)
///     }
/// }
/// ```
///
/// A change of display name through ``AccountStore/updateUser(_:_:)`` must forget the user's
/// version (the keys stay until replaced), so that the user is listed for indexing again should
/// the host not get to it.
///
/// Run `StorageConformance.nameSkeletonChecks` with `StorageConformance.runNameSkeleton`.
///
/// - Note: Added in EchoPluginAPI 1.5. A storage without it still works; the host then checks
///   display names only for invisible characters, not for look-alikes, and says so at start-up.
public protocol NameSkeletonLookup: Storage {
    /// The users who have at least one of `skeletons` among their keys.
    func userIDs(withNameSkeletons skeletons: Set<String>) async throws -> Set<UserID>

    /// Replaces the keys of each user in `skeletons` with the ones given, and records `version`
    /// for them, all in one transaction. Users that do not exist are skipped.
    func setNameSkeletons(_ skeletons: [UserID: Set<String>], version: String) async throws

    /// Up to `limit` users whose keys were made by a version other than `version`, or never made,
    /// in id order after `after`: what the host indexes when it starts.
    func users(withoutNameSkeletonVersion version: String, after: UserID?, limit: Int) async throws -> [User]
}
