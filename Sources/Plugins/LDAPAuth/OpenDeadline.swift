import CLDAP
import Dispatch
import Synchronization

/// The deadline of one ``LDAPConnection/open(_:tls:timeouts:)``: past it, the socket is shut down
/// unless the open finished. The watch stays allocated until the connection closes, which
/// happens only after ``finish()``; `state` orders the two, hence `@unchecked Sendable`.
final class OpenDeadline: @unchecked Sendable {
    /// (finished, expired)
    private let state = Mutex((false, false))
    private let watch: UnsafeMutablePointer<echo_ldap_watch>

    private init(watch: UnsafeMutablePointer<echo_ldap_watch>) {
        self.watch = watch
    }

    /// Arms a deadline `milliseconds` from now.
    static func start(watch: UnsafeMutablePointer<echo_ldap_watch>, milliseconds: Int) -> OpenDeadline {
        let deadline = OpenDeadline(watch: watch)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { deadline.expire() }
        return deadline
    }

    func expire() {
        state.withLock { state in
            guard !state.0 else { return }
            state.1 = true
            echo_ldap_watch_interrupt(watch)
        }
    }

    /// Marks the open finished; returns whether the deadline had cut it short.
    @discardableResult
    func finish() -> Bool {
        state.withLock { state in
            state.0 = true
            return state.1
        }
    }
}
