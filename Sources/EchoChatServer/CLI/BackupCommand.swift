import ArgumentParser
import EchoPluginAPI
import Foundation

/// `echochat backup PATH`: a consistent copy of the configured storage, safe while the server runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the storage to PATH while the server keeps running.",
        discussion: """
            SQLite: a compact copy of the database file (VACUUM INTO). PostgreSQL: a pg_dump archive \
            in custom format (needs pg_dump from postgresql-client), restored with pg_restore. PATH \
            must not exist.
            """)

    @OptionGroup var options: ConfigOptions

    @Argument(help: "Where to write the copy; must not exist.")
    var path: String

    func run() async throws {
        try await withOperatorContext(options) { context in
            guard let storage = context.plugins.storage as? any StorageBackup else {
                throw OperatorError("storage.\(type(of: context.plugins.storage).name) cannot write backups; use the database's own tools")
            }
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            guard !FileManager.default.fileExists(atPath: absolute) else { throw OperatorError("\(absolute) already exists") }
            do {
                CLIOutput.print(try await storage.backup(to: absolute))
            } catch let error as StorageError {
                throw OperatorError("backup failed: \(error.message)")
            }
        }
    }
}
