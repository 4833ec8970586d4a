public import EchoPluginAPI
public import Foundation
import GRDB

extension SQLiteStorage: StorageWriteProbe {
    public func probeWrite(at date: Date) async throws {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        try await perform { db in
            try db.execute(
                sql: "INSERT INTO health_probe (id, written_at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET written_at = excluded.written_at",
                arguments: [millis])
        }
    }
}
