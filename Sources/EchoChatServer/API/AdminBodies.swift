import EchoPluginAPI
import Foundation

/// `GET /api/admin/strategy`.
struct StrategyStatusBody: Encodable {
    struct Slot: Encodable {
        let plugin: String
        let revision: String
        let loadedAt: Date
        /// What the strategy works within, and the most one sub-room may hold (null: no fixed number).
        let capacity: Int
        let maxSubrooms: Int
        let maxParticipants: Int?

        init(_ active: ActiveStrategy) {
            plugin = active.plugin
            revision = active.revision
            loadedAt = active.loadedAt
            capacity = active.limits.capacity
            maxSubrooms = active.limits.maxSubrooms
            maxParticipants = active.maxParticipants
        }

        private enum CodingKeys: String, CodingKey { case plugin, revision, loadedAt, capacity, maxSubrooms, maxParticipants }

        /// `max_participants` is always present, `null` when the strategy declares no number.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(plugin, forKey: .plugin)
            try container.encode(revision, forKey: .revision)
            try container.encode(loadedAt, forKey: .loadedAt)
            try container.encode(capacity, forKey: .capacity)
            try container.encode(maxSubrooms, forKey: .maxSubrooms)
            try container.encode(maxParticipants, forKey: .maxParticipants)
        }

        init(_ shadow: ShadowStrategy) {
            plugin = shadow.plugin
            revision = shadow.revision
            loadedAt = shadow.loadedAt
            capacity = shadow.judge.limits.capacity
            maxSubrooms = shadow.judge.limits.maxSubrooms
            maxParticipants = shadow.judge.maxParticipants
        }
    }

    let active: Slot
    /// Always present in the JSON, `null` without a shadow strategy.
    let shadow: Slot?
    /// Real decisions the shadow answered alike, and otherwise (a shadow failure is a
    /// disagreement), since the current shadow was loaded.
    let shadowAgreements: Int
    let shadowDisagreements: Int
    let shadowFailures: Int
    /// Decisions the shadow fell too far behind to replay.
    let shadowSkipped: Int

    private enum CodingKeys: String, CodingKey {
        case active, shadow, shadowAgreements, shadowDisagreements, shadowFailures, shadowSkipped
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(active, forKey: .active)
        try container.encode(shadow, forKey: .shadow)
        try container.encode(shadowAgreements, forKey: .shadowAgreements)
        try container.encode(shadowDisagreements, forKey: .shadowDisagreements)
        try container.encode(shadowFailures, forKey: .shadowFailures)
        try container.encode(shadowSkipped, forKey: .shadowSkipped)
    }
}

/// `GET /api/admin/strategy/disagreements`: the kept disagreements, oldest first.
struct DisagreementsBody: Encodable {
    let disagreements: [ShadowLedger.Disagreement]
}

/// `GET /api/admin/audit`.
struct ServerAuditBody: Encodable {
    struct Entry: Encodable {
        let id: Int64
        let at: Date
        let actor: String
        let action: String
        let details: [String: String]
    }

    let entries: [Entry]
    /// `null` on the last page.
    let nextBefore: Int64?

    private enum CodingKeys: String, CodingKey { case entries, nextBefore }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entries, forKey: .entries)
        try container.encode(nextBefore, forKey: .nextBefore)
    }
}
