import ArgumentParser
import Crypto
import EchoBuiltinPlugins
import EchoPluginAPI
import Foundation
import Logging
import Synchronization

/// `echochat migrate-storage --from A.json --to B.json`: copies everything from the storage one
/// plugins.json names to the (empty) storage another names, ids kept, in one transaction on the
/// target, verified table by table before it commits.
struct MigrateStorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-storage",
        abstract: "Copy all data from one storage backend to another (for example SQLite to PostgreSQL).",
        discussion: """
            --from and --to are plugins.json files; only their "storage" entries are used. The target \
            must be empty. Stop the servers using the source first: what they write during the copy \
            is not copied. Every table is counted and checksummed on both sides before the target \
            commits; on any difference nothing is written.
            """)

    @Option(name: .long, help: "plugins.json naming the storage to copy from.")
    var from: String

    @Option(name: .long, help: "plugins.json naming the (empty) storage to copy into.")
    var to: String

    @Option(name: .long, help: "Path to server_config.json (its data_dir locates a default SQLite file).")
    var config: String?

    func run() async throws {
        let logger = CLIOutput.logger(level: .warning)
        let source = try await Self.openStorage(pluginsFile: from, config: config, logger: logger)
        let target: OpenedStorage
        do {
            target = try await Self.openStorage(pluginsFile: to, config: config, logger: logger)
        } catch {
            await source.close(logger: logger)
            throw error
        }
        do {
            let report = try await source.plugins.withServices {
                try await target.plugins.withServices {
                    try await StorageMigration.copy(from: source.transfer, to: target.transfer)
                }
            }
            for line in report { CLIOutput.print(line.description) }
            CLIOutput.print("copied \(report.reduce(0) { $0 + $1.rows }) rows in \(report.count) tables; counts and checksums match")
        } catch {
            await source.close(logger: logger)
            await target.close(logger: logger)
            CLIOutput.error("migration failed, nothing was written: \(error)")
            throw ExitCode(1)
        }
        await source.close(logger: logger)
        await target.close(logger: logger)
    }

    struct OpenedStorage {
        let plugins: LoadedPlugins
        let transfer: any StorageTransfer

        func close(logger: Logger) async { await plugins.shutdown(logger: logger) }
    }

    static func openStorage(pluginsFile: String, config: String?, logger: Logger) async throws -> OpenedStorage {
        let setup: HostSetup
        do {
            setup = try HostSetup.load(configPath: config, pluginsPath: pluginsFile, registry: PluginsInUse.registry)
        } catch let error as ConfigurationError {
            CLIOutput.error("invalid configuration:\n" + error.issues.map { "  " + $0.description }.joined(separator: "\n"))
            throw ExitCode(2)
        }
        let plugins: LoadedPlugins
        do {
            plugins = try await LoadedPlugins.start(setup, logger: logger, blocking: ThreadPoolExecutor(), startAuth: false)
        } catch {
            CLIOutput.error("cannot open the storage of \(pluginsFile): \(error)")
            throw ExitCode(1)
        }
        guard let transfer = plugins.storage as? any StorageTransfer else {
            await plugins.shutdown(logger: logger)
            CLIOutput.error("storage.\(type(of: plugins.storage).name) (\(pluginsFile)) cannot take part in a migration")
            throw ExitCode(1)
        }
        return OpenedStorage(plugins: plugins, transfer: transfer)
    }
}

/// The copy itself, separate from the command so that tests can drive it.
enum StorageMigration {
    /// One table's figures: rows copied and the SHA-256 of their canonical form.
    struct TableReport: CustomStringConvertible, Sendable {
        let table: String
        let rows: Int
        let checksum: String

        var description: String {
            "\(table.padding(toLength: 20, withPad: " ", startingAt: 0)) \(String(rows).leftPadded(to: 10)) rows  sha256 \(checksum.prefix(16))"
        }
    }

    struct MismatchError: Error, CustomStringConvertible {
        let description: String
    }

    static let pageSize = 2000

    /// Copies every table of ``TransferTable/all`` (and the server audit log) from a snapshot of `source` into `target` in
    /// one import transaction, then reads the target back inside that transaction and compares
    /// row counts and checksums; any difference throws, which rolls the import back.
    static func copy(from source: any StorageTransfer, to target: any StorageTransfer) async throws -> [TableReport] {
        // The server audit log moves when both storages keep one.
        let tables =
            TransferTable.all + (source is any ServerAuditStore && target is any ServerAuditStore ? [TransferTable.serverAudit] : [])
            + (source is any VoiceChannelStore && target is any VoiceChannelStore ? [TransferTable.voiceBans] : [])
            + (source is any ReactionStore && target is any ReactionStore ? [TransferTable.reactions] : [])
            + (source is any ThreadStore && target is any ThreadStore ? [TransferTable.messageReplies, TransferTable.messageThreads] : [])
            + (source is any DirectMessageStore && target is any DirectMessageStore
                ? [TransferTable.directConversations, TransferTable.userBlocks, TransferTable.directMessagePolicies] : [])
            + (source is any UnreadStore && target is any UnreadStore ? [TransferTable.readMarkers, TransferTable.messageMentions] : [])
        return try await source.withTransferSnapshot { reader in
            // Conversation rows would arrive as rooms named "DM:…" in a storage that keeps no conversations.
            if source is any DirectMessageStore, !(target is any DirectMessageStore), try await reader.count(of: .directConversations) > 0 {
                throw MismatchError(description: "the source holds direct conversations, which the target storage plugin cannot keep")
            }
            let copied = Mutex<[TableReport]>([])
            try await target.importTransfer { writer in
                var reports: [TableReport] = []
                for table in tables {
                    let (rows, checksum) = try await digest(of: table, in: reader) { page in try await writer.insert(page, into: table) }
                    let expected = try await reader.count(of: table)
                    guard rows == expected else {
                        throw MismatchError(description: "\(table): read \(rows) rows but the source counts \(expected)")
                    }
                    reports.append(TableReport(table: table.name, rows: rows, checksum: checksum))
                }
                // Verify what the target's transaction holds, before it commits.
                for (table, report) in zip(tables, reports) {
                    let (rows, checksum) = try await digest(of: table, in: writer)
                    guard rows == report.rows, checksum == report.checksum else {
                        throw MismatchError(
                            description: "\(table): the target holds \(rows) rows (sha256 \(checksum.prefix(16))), the source \(report.rows) (sha256 \(report.checksum.prefix(16)))"
                        )
                    }
                }
                copied.withLock { $0 = reports }
            }
            return copied.withLock { $0 }
        }
    }

    /// Row count and checksum of `table` as `reader` sees it, reading it page by page in
    /// primary-key order and handing each page to `visit`.
    static func digest(
        of table: TransferTable, in reader: any TransferReader, visit: ([[TransferValue]]) async throws -> Void = { _ in }
    ) async throws -> (rows: Int, checksum: String) {
        var hasher = SHA256()
        var rows = 0
        var after: [TransferValue]?
        while true {
            let page = try await reader.rows(of: table, after: after, limit: pageSize)
            guard let last = page.last else { break }
            try await visit(page)
            for row in page { hash(row, into: &hasher) }
            rows += page.count
            after = table.primaryKeyIndices.map { last[$0] }
        }
        return (rows, hex(hasher.finalize()))
    }

    /// A row in a form no two different rows share: a tag per value, then its length and bytes.
    static func hash(_ row: [TransferValue], into hasher: inout SHA256) {
        var bytes: [UInt8] = []
        for value in row {
            switch value {
            case .null:
                bytes.append(0)
            case .integer(let number):
                bytes.append(1)
                withUnsafeBytes(of: number.bigEndian) { bytes.append(contentsOf: $0) }
            case .boolean(let flag):
                bytes.append(flag ? 3 : 2)
            case .text(let text):
                bytes.append(4)
                let utf8 = Array(text.utf8)
                withUnsafeBytes(of: UInt64(utf8.count).bigEndian) { bytes.append(contentsOf: $0) }
                bytes.append(contentsOf: utf8)
            }
        }
        bytes.append(0xFF)
        hasher.update(data: bytes)
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
