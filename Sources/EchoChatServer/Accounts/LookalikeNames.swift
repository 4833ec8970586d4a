import EchoPluginAPI
import Logging

/// Keeps display names from looking like other accounts' names, through the storage's index of
/// the look-alike keys of every account's username and display name (``NameSkeletons``,
/// ``NameSkeletonLookup``): one indexed lookup per check, however many accounts there are.
/// A storage without the index gets no look-alike check; ``DisplayNames`` applies all the same.
struct LookalikeNames: Sendable {
    let storage: any Storage
    let logger: Logger

    var index: (any NameSkeletonLookup)? { storage as? any NameSkeletonLookup }

    /// The accounts, other than `userID`'s, whose names look like `displayName`. A display name
    /// that looks like the account's own `username` is the account's own name, and looks like no other.
    func lookalikes(of displayName: String, username: String, userID: UserID?) async throws -> Set<UserID> {
        guard let index else { return [] }
        let keys = try NameSkeletons.keys(of: displayName)
        guard keys.isDisjoint(with: try NameSkeletons.keys(of: username)) else { return [] }
        var others = try await index.userIDs(withNameSkeletons: keys)
        if let userID { others.remove(userID) }
        return others
    }

    /// Indexes `user`'s names. A failure is logged and left to the next start, which indexes
    /// every account without current keys (new accounts and new display names have none).
    func record(_ user: User) async {
        guard let index else { return }
        do {
            try await index.setNameSkeletons([user.id: try keys(of: user)], version: NameSkeletons.version)
        } catch {
            logger.warning(
                "could not index the account's names for look-alike checks; the next start will",
                metadata: ["user_id": "\(user.id)", "error": "\(error)"])
        }
    }

    /// Indexes every account whose keys are missing or another version made them (after an
    /// upgrade, `echochat migrate-storage`, or a new ICU); returns how many.
    func indexStale(batchSize: Int = 500) async throws -> Int {
        guard let index else { return 0 }
        var count = 0
        var after: UserID?
        while true {
            let page = try await index.users(withoutNameSkeletonVersion: NameSkeletons.version, after: after, limit: batchSize)
            guard let last = page.last else { return count }
            var skeletons: [UserID: Set<String>] = [:]
            for user in page { skeletons[user.id] = try keys(of: user) }
            try await index.setNameSkeletons(skeletons, version: NameSkeletons.version)
            count += page.count
            after = last.id
        }
    }

    private func keys(of user: User) throws -> Set<String> {
        try NameSkeletons.keys(of: user.username).union(NameSkeletons.keys(of: user.displayName))
    }
}
