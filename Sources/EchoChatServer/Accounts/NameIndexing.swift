import EchoPluginAPI
import Logging
import ServiceLifecycle

/// Indexes, once at start-up, the accounts whose look-alike keys are missing or out of date
/// (see ``LookalikeNames``). Until it is done, display names are checked against the accounts
/// indexed so far; new accounts are indexed as they are made.
struct NameIndexing: Service {
    let names: LookalikeNames
    let storageName: String
    let logger: Logger

    func run() async throws {
        if names.index == nil {
            logger.warning(
                "the storage cannot index account names (NameSkeletonLookup); display names are not checked for look-alikes",
                metadata: ["storage": "\(storageName)"])
        } else {
            do {
                let count = try await cancelWhenGracefulShutdown { try await names.indexStale() }
                if count > 0 { logger.info("indexed the names of \(count) accounts for look-alike checks") }
            } catch is CancellationError {
                return
            } catch {
                logger.error("indexing account names for look-alike checks failed", metadata: ["error": "\(error)"])
            }
        }
        // A service that returns would end the whole service group: wait for shutdown instead.
        try? await gracefulShutdown()
    }
}
