public import EchoPluginAPI
public import Foundation
import PostgresNIO

extension PostgresStorage: StorageWriteProbe {
    public func probeWrite(at date: Date) async throws {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        try await transaction { transaction in
            try await transaction.run(
                "INSERT INTO health_probe (id, written_at) VALUES (1, \(millis)) ON CONFLICT (id) DO UPDATE SET written_at = EXCLUDED.written_at")
        }
    }
}
