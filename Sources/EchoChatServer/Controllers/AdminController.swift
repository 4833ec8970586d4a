import EchoPluginAPI
import Hummingbird

/// `/api/admin/…`: what server administrators see of the server itself: the live sub-room
/// strategy and the server-wide audit log.
struct AdminController: Sendable {
    let strategy: StrategySlot
    let shadows: ShadowLedger
    let audit: ServerAudit
    let guards: RouteGuards

    var endpoints: RouteCollection<EchoRequestContext> {
        let routes = RouteCollection(context: EchoRequestContext.self).add(middleware: guards.authenticated).add(middleware: guards.signedIn)
        routes.get("/api/admin/strategy", use: strategyStatus)
        routes.get("/api/admin/strategy/disagreements", use: disagreements)
        routes.get("/api/admin/audit", use: auditLog)
        return routes
    }

    @Sendable func strategyStatus(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try Self.requireAdmin(context)
        let active = strategy.active
        let counts = shadows.counts(for: active.shadow?.revision)
        return JSONBody.response(
            StrategyStatusBody(
                active: .init(active), shadow: active.shadow.map(StrategyStatusBody.Slot.init), shadowAgreements: counts.agreements,
                shadowDisagreements: counts.disagreements, shadowFailures: counts.failures, shadowSkipped: counts.skipped))
    }

    @Sendable func disagreements(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try Self.requireAdmin(context)
        return JSONBody.response(DisagreementsBody(disagreements: shadows.disagreements))
    }

    @Sendable func auditLog(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try Self.requireAdmin(context)
        let limit = try request.pageSize()
        let before = try request.positiveQuery("before")
        guard let store = audit.store else {
            throw EchoError.unavailable("server_audit_unavailable", "this server's storage keeps no server-wide audit log")
        }
        let entries = try await store.serverAuditLog(before: before, limit: limit)
        return JSONBody.response(
            ServerAuditBody(
                entries: entries.map { .init(id: $0.id, at: $0.createdAt, actor: $0.actor, action: $0.action, details: $0.details) },
                nextBefore: entries.count == limit ? entries.last?.id : nil))
    }

    static func requireAdmin(_ context: EchoRequestContext) throws {
        guard try context.requirePrincipal().user.isAdmin else {
            throw EchoError.forbidden("forbidden", "only server administrators may do this")
        }
    }
}
