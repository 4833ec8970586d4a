/// A strategy's answer.
public struct SubroomDecision {
    /// The chosen 1-based sub-room index, or `nil` when refused.
    public let assignedIndex: Int?
    /// Why the request was refused, for logs and the 409 message.
    public let refusalReason: String?

    private init(assignedIndex: Int?, refusalReason: String?) {
        self.assignedIndex = assignedIndex
        self.refusalReason = refusalReason
    }

    /// Seat the user in sub-room `index` (1-based; an index beyond the current ones opens a new
    /// sub-room). An index below 1 does not trap, as the native API's does: `echochat_decide`
    /// answers -2 for it, and the host counts a failed decision.
    public static func assign(_ index: Int) -> SubroomDecision {
        SubroomDecision(assignedIndex: index, refusalReason: nil)
    }

    /// Refuse: every sub-room that may exist is full. `reason` reaches the host through
    /// `echochat_message`.
    public static func refuse(_ reason: String) -> SubroomDecision {
        SubroomDecision(assignedIndex: nil, refusalReason: reason)
    }
}
