public import EchoPluginAPI
import GRDB

extension SQLiteStorage: NameSkeletonLookup {
    public func userIDs(withNameSkeletons skeletons: Set<String>) async throws -> Set<UserID> {
        guard !skeletons.isEmpty else { return [] }
        let sql = "SELECT DISTINCT user_id FROM user_name_skeletons WHERE skeleton IN (\(databaseQuestionMarks(count: skeletons.count)))"
        return try await read { db in
            Set(try Int64.fetchAll(db, sql: sql, arguments: StatementArguments(Array(skeletons))).map { UserID($0) })
        }
    }

    public func setNameSkeletons(_ skeletons: [UserID: Set<String>], version: String) async throws {
        guard !skeletons.isEmpty else { return }
        try await perform { db in
            for (userID, keys) in skeletons {
                try db.run("UPDATE users SET name_skeleton_version = ? WHERE id = ?", [version, userID.rawValue])
                guard db.changesCount > 0 else { continue }
                try db.run("DELETE FROM user_name_skeletons WHERE user_id = ?", [userID.rawValue])
                for key in keys {
                    try db.run("INSERT INTO user_name_skeletons (skeleton, user_id) VALUES (?, ?)", [key, userID.rawValue])
                }
            }
        }
    }

    public func users(withoutNameSkeletonVersion version: String, after: UserID?, limit: Int) async throws -> [User] {
        try await read { db in
            try db.rows(
                "SELECT * FROM users WHERE name_skeleton_version IS NOT ? AND id > ? ORDER BY id LIMIT ?",
                [version, after?.rawValue ?? 0, max(0, limit)]
            ).map(User.init(row:))
        }
    }
}
