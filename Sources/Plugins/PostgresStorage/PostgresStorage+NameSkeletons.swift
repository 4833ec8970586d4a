public import EchoPluginAPI
import PostgresNIO

extension PostgresStorage: NameSkeletonLookup {
    public func userIDs(withNameSkeletons skeletons: Set<String>) async throws -> Set<UserID> {
        guard !skeletons.isEmpty else { return [] }
        return Set(
            try await rows("SELECT DISTINCT user_id FROM user_name_skeletons WHERE skeleton = ANY(\(Array(skeletons)))").map {
                UserID(try $0.value("user_id", as: Int64.self))
            })
    }

    public func setNameSkeletons(_ skeletons: [UserID: Set<String>], version: String) async throws {
        guard !skeletons.isEmpty else { return }
        // A few statements however many users: a start-up's indexing writes hundreds at a time.
        try await transaction { db in
            let requested = skeletons.keys.map(\.rawValue)
            // Rows locked in id order: instances indexing the same accounts at once wait, not deadlock.
            try await db.run("SELECT id FROM users WHERE id = ANY(\(requested)) ORDER BY id FOR UPDATE")
            let existing = Set(
                try await db.rows("UPDATE users SET name_skeleton_version = \(version) WHERE id = ANY(\(requested)) RETURNING id").map {
                    try $0.value("id", as: Int64.self)
                })
            guard !existing.isEmpty else { return }
            try await db.run("DELETE FROM user_name_skeletons WHERE user_id = ANY(\(Array(existing)))")
            let pairs = skeletons.filter { existing.contains($0.key.rawValue) }.flatMap { user, keys in keys.map { ($0, user.rawValue) } }
            guard !pairs.isEmpty else { return }
            try await db.run(
                """
                INSERT INTO user_name_skeletons (skeleton, user_id)
                SELECT * FROM unnest(\(pairs.map(\.0))::text[], \(pairs.map(\.1))::bigint[])
                """)
        }
    }

    public func users(withoutNameSkeletonVersion version: String, after: UserID?, limit: Int) async throws -> [User] {
        let start = after?.rawValue ?? 0
        let count = max(0, limit)
        return try await rows(
            "SELECT * FROM users WHERE name_skeleton_version IS DISTINCT FROM \(version) AND id > \(start) ORDER BY id LIMIT \(count)"
        ).map(User.init(row:))
    }
}
