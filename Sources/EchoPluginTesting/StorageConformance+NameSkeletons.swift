public import EchoPluginAPI

extension StorageConformance {
    /// The behaviours the host relies on from a ``NameSkeletonLookup`` (an index of the look-alike
    /// keys of account names), on top of ``checks``.
    ///
    /// ```swift
    /// @Test(arguments: StorageConformance.nameSkeletonChecks.map(\.name))
    /// func nameSkeletons(_ name: String) async throws {
    ///     try await StorageConformance.runNameSkeleton(name) { try await MyStorage(configuration: .init(), context: context) }
    /// }
    /// ```
    public static var nameSkeletonChecks: [NameSkeletonCheck] {
        [
            NameSkeletonCheck(name: "users are found by any of their name skeletons; new ones replace the old", body: skeletonLookup),
            NameSkeletonCheck(
                name: "users whose skeletons another version made are listed in id order, page by page", body: skeletonVersions),
            NameSkeletonCheck(name: "a new display name forgets the version; other updates keep it", body: skeletonVersionOnRename),
        ]
    }

    /// A named behaviour of a storage with a name skeleton index.
    public struct NameSkeletonCheck: Sendable {
        /// What the check shows.
        public let name: String
        let body: @Sendable (any NameSkeletonLookup) async throws -> Void
    }

    /// Runs the name skeleton check called `name` against a fresh storage.
    public static func runNameSkeleton(_ name: String, makeStorage: () async throws -> any NameSkeletonLookup) async throws {
        guard let check = nameSkeletonChecks.first(where: { $0.name == name }) else { throw ConformanceFailure("no check named \(name)") }
        let storage = try await makeStorage()
        try await withRunningStorage(storage) { _ in try await check.body(storage) }
    }

    static func skeletonLookup(_ storage: any NameSkeletonLookup) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob"), credential: nil)
        try expect(try await storage.userIDs(withNameSkeletons: ["f:alice"]).isEmpty, "nothing is indexed before it is set")
        try await storage.setNameSkeletons(
            [alice.id: ["f:alice", "c:Alice", "f:ünïcödé 名前"], bob.id: ["f:bob", "f:robert"]], version: "v1")
        try expect(try await storage.userIDs(withNameSkeletons: ["f:alice"]) == [alice.id], "found by one skeleton")
        try expect(try await storage.userIDs(withNameSkeletons: ["f:ünïcödé 名前"]) == [alice.id], "non-ASCII skeletons match exactly")
        try expect(try await storage.userIDs(withNameSkeletons: ["c:alice"]).isEmpty, "skeletons match exactly, case included")
        try expect(try await storage.userIDs(withNameSkeletons: ["f:alice", "c:Alice", "f:bob"]) == [alice.id, bob.id], "any of several")
        try expect(try await storage.userIDs(withNameSkeletons: []).isEmpty, "no skeletons, no users")

        // Two users may share a skeleton (names from before the check, or a directory's).
        try await storage.setNameSkeletons([bob.id: ["f:bob", "f:alice"]], version: "v1")
        try expect(try await storage.userIDs(withNameSkeletons: ["f:alice"]) == [alice.id, bob.id], "a shared skeleton finds both")
        try expect(try await storage.userIDs(withNameSkeletons: ["f:robert"]).isEmpty, "new skeletons replace the old")
        try await storage.setNameSkeletons([bob.id: []], version: "v1")
        try expect(try await storage.userIDs(withNameSkeletons: ["f:bob", "f:alice"]) == [alice.id], "an empty set removes them all")
        try await storage.setNameSkeletons([UserID(999_999): ["f:ghost"], bob.id: ["f:bob"]], version: "v1")
        try expect(try await storage.userIDs(withNameSkeletons: ["f:ghost", "f:bob"]) == [bob.id], "unknown users are skipped")
    }

    static func skeletonVersions(_ storage: any NameSkeletonLookup) async throws {
        var users: [User] = []
        for index in 0..<7 { users.append(try await storage.createUser(newUser("user\(index)"), credential: nil)) }
        func stale(_ version: String) async throws -> [UserID] {
            var listed: [UserID] = []
            var after: UserID?
            while true {
                let page = try await storage.users(withoutNameSkeletonVersion: version, after: after, limit: 3)
                try expect(page.count <= 3, "a page holds at most the limit")
                listed += page.map(\.id)
                guard let last = page.last else { return listed }
                after = last.id
            }
        }
        try expect(try await stale("v1") == users.map(\.id), "users never indexed are listed, in id order")
        let firstFive = Dictionary(uniqueKeysWithValues: users.prefix(5).map { ($0.id, Set(["f:\($0.username)"])) })
        try await storage.setNameSkeletons(firstFive, version: "v1")
        try expect(try await stale("v1") == users.suffix(2).map(\.id), "indexed users are no longer listed")
        try expect(try await stale("v2") == users.map(\.id), "users another version indexed are listed")
        let listed = try await storage.users(withoutNameSkeletonVersion: "v1", after: nil, limit: 10)
        try expect(listed.first == users[5], "whole users are returned")
    }

    static func skeletonVersionOnRename(_ storage: any NameSkeletonLookup) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        try await storage.setNameSkeletons([alice.id: ["f:alice"]], version: "v1")
        _ = try await storage.updateUser(alice.id, UserUpdate(email: .some("a@example.org"), isAdmin: true))
        _ = try await storage.updateUser(alice.id, UserUpdate(displayName: alice.displayName))
        func stale() async throws -> [UserID] {
            try await storage.users(withoutNameSkeletonVersion: "v1", after: nil, limit: 10).map(\.id)
        }
        try expect(try await stale().isEmpty, "the same name keeps the version")
        _ = try await storage.updateUser(alice.id, UserUpdate(displayName: "Alice Liddell"))
        try expect(try await stale() == [alice.id], "a new name forgets it")
        try expect(try await storage.userIDs(withNameSkeletons: ["f:alice"]) == [alice.id], "the old skeletons stay until replaced")
    }
}
